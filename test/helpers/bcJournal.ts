/** What an accountant does in Business Central, done against the sandbox over HTTP: post the journal. */
import {
  SANDBOX_BC_CLIENT_ID,
  SANDBOX_BC_CLIENT_SECRET,
  SANDBOX_BC_COMPANY_ID,
  SANDBOX_BC_JOURNAL_ID,
} from "../../src/local/sandbox/index.ts";

/** A bearer token from the sandbox's token endpoint. */
export async function sandboxBearer(sandboxUrl: string): Promise<string> {
  const res = await fetch(`${sandboxUrl}/bc/oauth2/v2.0/token`, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: SANDBOX_BC_CLIENT_ID,
      client_secret: SANDBOX_BC_CLIENT_SECRET,
      scope: "https://api.businesscentral.dynamics.com/.default",
    }),
  });
  return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
}

/** `POST …/journals({id})/Microsoft.NAV.post` on the sandbox's GENERAL journal; returns status and body text. */
export async function postJournal(sandboxUrl: string): Promise<{ status: number; text: string }> {
  const res = await fetch(
    `${sandboxUrl}/bc/api/v2.0/companies(${SANDBOX_BC_COMPANY_ID})/journals(${SANDBOX_BC_JOURNAL_ID})/Microsoft.NAV.post`,
    { method: "POST", headers: { Authorization: await sandboxBearer(sandboxUrl) } },
  );
  return { status: res.status, text: await res.text() };
}

/** Rows of a company collection (`journals(…)/journalLines` or `generalLedgerEntries`) as the sandbox stores them. */
export async function readCollection(sandboxUrl: string, path: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${sandboxUrl}/bc/api/v2.0/companies(${SANDBOX_BC_COMPANY_ID})/${path}`, {
    headers: { Authorization: await sandboxBearer(sandboxUrl) },
  });
  return ((await res.json()) as { value: Record<string, unknown>[] }).value;
}

/** The GENERAL journal's lines path for {@link readCollection}. */
export const JOURNAL_LINES = `journals(${SANDBOX_BC_JOURNAL_ID})/journalLines`;
