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

/**
 * A journal line's id and current `@odata.etag` by our reference (the entry id; BC stores it as 32
 * upper-case hex digits in `externalDocumentNumber`), or `undefined` when the journal has none.
 */
export async function journalLineByReference(
  sandboxUrl: string,
  entryId: string,
): Promise<{ id: string; etag: string } | undefined> {
  const reference = entryId.replaceAll("-", "").toUpperCase();
  const lines = await readCollection(
    sandboxUrl,
    `${JOURNAL_LINES}?$filter=${encodeURIComponent(`externalDocumentNumber eq '${reference}'`)}`,
  );
  const line = lines[0];
  return line === undefined ? undefined : { id: String(line.id), etag: String(line["@odata.etag"]) };
}

/**
 * What an accountant does to an unposted line through BC's API: `DELETE` or `PATCH` on
 * `journals({id})/journalLines({id})` with `If-Match: <etag>` (Learn, "Delete journalLines" /
 * "Update journalLines": If-Match required). Returns the HTTP status.
 */
export async function editJournalLine(
  sandboxUrl: string,
  entryId: string,
  change: "delete" | Record<string, unknown>,
): Promise<number> {
  const line = await journalLineByReference(sandboxUrl, entryId);
  if (line === undefined) throw new Error(`no journal line for ${entryId}`);
  const res = await fetch(
    `${sandboxUrl}/bc/api/v2.0/companies(${SANDBOX_BC_COMPANY_ID})/${JOURNAL_LINES}(${line.id})`,
    {
      method: change === "delete" ? "DELETE" : "PATCH",
      headers: {
        Authorization: await sandboxBearer(sandboxUrl),
        "If-Match": line.etag,
        "Content-Type": "application/json",
      },
      ...(change === "delete" ? {} : { body: JSON.stringify(change) }),
    },
  );
  await res.text();
  return res.status;
}

/** The company's posted G/L entries path for {@link readCollection}. */
export const GL_ENTRIES = "generalLedgerEntries";
