/**
 * A whole reconciliation run of a clean month (issue 18's second "Done when"): N approved entries
 * exported by a worker to the sandbox, then one reconciliation run of that month through the engine
 * (expected side read in SQL, the adapter's read-back, compare, findings and totals recorded in one
 * transaction) on PostgreSQL — requests as the run tallies them (`progress.requests`, what
 * `api_request_tally` counts as `reconcile`) and seconds from the run's start to its end.
 */
import { openPostgres } from "../../src/db/postgres.ts";
import type { Db } from "../../src/db/types.ts";
import { Worker } from "../../src/engine/run/worker.ts";
import type { IntegrationType } from "../../src/integrations/types.ts";
import {
  SANDBOX_BC_COMPANY_ID,
  SANDBOX_BC_JOURNAL_ID,
  type Sandbox,
  sandboxIntegrationSettings,
} from "../../src/local/sandbox/index.ts";
import { createDatabase, dropDatabase } from "../lib/pg.ts";
import { sleep } from "../lib/stats.ts";

export interface ReconcileRunFigures {
  type: IntegrationType;
  entries: number;
  exportSeconds: number;
  /** started_at → finished_at of the reconciliation run, database clock. */
  reconcileSeconds: number;
  requests: number;
  checked: number;
  findings: number;
}

const MONTH = { start: "2026-02-01", end: "2026-02-28" };

async function settled(
  db: Db,
  runId: string,
): Promise<{ status: string; progress: Record<string, unknown> }> {
  for (;;) {
    const { rows } = await db.query<{
      status: string;
      progress: Record<string, unknown>;
      error_code: string | null;
    }>("select status, progress, error_code from public.sync_run_log where id = $1", [runId]);
    const r = rows[0];
    if (r && ["succeeded", "failed", "cancelled"].includes(r.status)) {
      if (r.status !== "succeeded") throw new Error(`run ${runId} ended ${r.status} (${r.error_code})`);
      return r;
    }
    await sleep(50);
  }
}

/** Business Central posts the journal at month end; the reconciliation then reads posted G/L entries. */
export async function postJournal(sandbox: Sandbox): Promise<void> {
  const settings = sandboxIntegrationSettings(sandbox.url).dynamics;
  const token = await fetch(settings.config.token_url, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: settings.credentials.client_id,
      client_secret: settings.credentials.client_secret,
      scope: "https://api.businesscentral.dynamics.com/.default",
    }),
  });
  const { access_token } = (await token.json()) as { access_token: string };
  const res = await fetch(
    `${sandbox.url}/bc/api/v2.0/companies(${SANDBOX_BC_COMPANY_ID})/journals(${SANDBOX_BC_JOURNAL_ID})/Microsoft.NAV.post`,
    { method: "POST", headers: { Authorization: `Bearer ${access_token}` } },
  );
  if (res.status !== 204) throw new Error(`posting answered ${res.status}: ${await res.text()}`);
}

/** Export `entries` approved entries (balanced two-line vouchers over February 2026), then reconcile February. */
export async function reconcileRun(
  template: string,
  sandbox: Sandbox,
  type: IntegrationType,
  entries: number,
): Promise<ReconcileRunFigures> {
  const { name, url } = await createDatabase("reconcile", template);
  const db = openPostgres({ connectionString: url, max: 4 });
  const worker = new Worker({ db, scheduler: false, config: { pollSeconds: 0.1 } });
  try {
    const settings = sandboxIntegrationSettings(sandbox.url)[type];
    const { rows } = await db.query<{ integration_id: string }>(
      `with o as (insert into public.organizations (name) values ('Reconcile bench') returning id),
            e as (insert into public.ledger_entries
                    (org_id, voucher_number, entry_date, account, amount, currency, description, approved_at)
                  select o.id, 'RB-' || lpad((g / 2)::text, 6, '0'), date '2026-02-01' + ((g / 2) % 28),
                         case when g % 2 = 0 then '3000' else '6300' end,
                         (case when g % 2 = 0 then 1 else -1 end) * round(((g / 2) % 997 * 13.25 + 100)::numeric, 2),
                         'NOK', 'Bench ' || g, now()
                  from o, generate_series(0, $1::int - 1) g)
       insert into public.organization_integrations (org_id, integration_type, config)
       select o.id, $2, $3::jsonb from o returning id as integration_id`,
      [entries, type, JSON.stringify(settings.config)],
    );
    const integrationId = rows[0]?.integration_id as string;
    await db.query("select sync_engine.set_integration_credentials($1, $2)", [
      integrationId,
      JSON.stringify(settings.credentials),
    ]);
    await worker.start();

    const t0 = performance.now();
    const exported = await db.query<{ run_id: string }>(
      "select run_id from sync_engine.enqueue_run($1, 'scheduled')",
      [integrationId],
    );
    await settled(db, exported.rows[0]?.run_id as string);
    const exportSeconds = (performance.now() - t0) / 1000;
    if (type === "dynamics") await postJournal(sandbox);

    const started = await db.query<{ run_id: string }>(
      `select sync_engine.insert_reconcile_run(i, 'scheduled', null, $2::date, $3::date) as run_id
       from public.organization_integrations i where i.id = $1`,
      [integrationId, MONTH.start, MONTH.end],
    );
    const runId = started.rows[0]?.run_id as string;
    const run = await settled(db, runId);
    const timing = await db.query<{ s: number }>(
      "select extract(epoch from finished_at - started_at)::float8 as s from public.sync_run_log where id = $1",
      [runId],
    );
    return {
      type,
      entries,
      exportSeconds,
      reconcileSeconds: Number(timing.rows[0]?.s),
      requests: Number(run.progress.requests),
      checked: Number(run.progress.checked),
      findings: Number(run.progress.findings),
    };
  } finally {
    await worker.stop(0);
    await db.close();
    await dropDatabase(name);
  }
}
