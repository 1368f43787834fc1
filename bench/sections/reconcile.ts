/**
 * Reconciliation (issue 18): a clean month of N exported entries read back with
 * `readPeriod` from the sandbox, for both adapters — requests (each one counted through
 * `onRequest("reconcile")`, as the engine tallies them) and seconds: the part of a reconciliation that
 * talks to the accounting system. Then the whole run through the engine on PostgreSQL
 * (`reconcileRun.ts`): what a clean month costs end to end, the goal's figures.
 */
import { randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import type { ActualLine, PostingPeriod, ReconcileContext } from "../../src/integrations/reconcile.ts";
import { createAdapter } from "../../src/integrations/registry.ts";
import type { ExportEntry, IntegrationType } from "../../src/integrations/types.ts";
import { sandboxIntegrationSettings, startSandbox } from "../../src/local/sandbox/index.ts";
import { ourTemplate } from "../lib/pg.ts";
import type { SectionResult } from "../lib/report.ts";
import { median, ms } from "../lib/stats.ts";
import { postJournal, type ReconcileRunFigures, reconcileRun } from "./reconcileRun.ts";

const requests = (n: number) => `${n} request${n === 1 ? "" : "s"}`;
const MONTH: PostingPeriod = { start: "2026-01-01", end: "2026-01-31" };
// Xledger's default monthly_request_allowance (docs/engine.md "API request tally").
const XLEDGER_ALLOWANCE = 5_000;

/** `n` entries in balanced two-line vouchers spread over the month (BC posts them as documents). */
function month(n: number, prefix = "R"): ExportEntry[] {
  const tag = randomUUID().slice(0, 6);
  return Array.from({ length: n }, (_, i) => {
    const voucher = Math.floor(i / 2);
    const cents = 100 + (voucher % 997) * 13;
    return {
      id: randomUUID(),
      voucherNumber: `${prefix}${tag}-${voucher}`,
      entryDate: `2026-01-${String(1 + (voucher % 31)).padStart(2, "0")}`,
      account: i % 2 === 0 ? "1010" : "2010",
      amount: `${i % 2 === 0 ? "" : "-"}${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`,
      currency: "NOK",
      description: `bench ${i}`,
    };
  });
}

function context(expected?: readonly ExportEntry[]) {
  const counter = { requests: 0 };
  const ctx: ReconcileContext = {
    signal: new AbortController().signal,
    onRequest: (purpose) => {
      if (purpose === "reconcile") counter.requests += 1;
    },
    ...(expected === undefined ? {} : { expected }),
  };
  return { ctx, counter };
}

/** One timed read-back of the month: lines returned, requests, ms. */
async function readBack(
  adapter: ReturnType<typeof createAdapter>,
  expected: readonly ExportEntry[],
): Promise<{ lines: number; requests: number; ms: number }> {
  const { ctx, counter } = context(expected);
  const t0 = performance.now();
  let lines = 0;
  for await (const page of adapter.readPeriod(MONTH, ctx) as AsyncIterable<ActualLine[]>)
    lines += page.length;
  return { lines, requests: counter.requests, ms: performance.now() - t0 };
}

export async function reconcileSection(opts: {
  entries: number;
  olderItems: number;
  rounds: number;
}): Promise<SectionResult> {
  const t0 = performance.now();
  // Two cores shared with other sessions: the load says how far to trust the seconds (requests are exact).
  const loadAtStart = loadavg()
    .map((x) => x.toFixed(1))
    .join(" / ");
  const sandbox = await startSandbox({ port: 0 });
  const rows: string[][] = [];
  const measured: Record<string, { requests: number; ms: number; lines: number }> = {};
  const runs: ReconcileRunFigures[] = [];
  try {
    const settings = sandboxIntegrationSettings(sandbox.url);
    const exportCtx = { signal: new AbortController().signal };
    const bc = createAdapter("dynamics", settings.dynamics.config, settings.dynamics.credentials);
    const xl = createAdapter("xledger", settings.xledger.config, settings.xledger.credentials);
    const entries = month(opts.entries);

    const measure = async (label: string, adapter: typeof bc, expected: readonly ExportEntry[]) => {
      const runs: { lines: number; requests: number; ms: number }[] = [];
      for (let r = 0; r < opts.rounds; r++) runs.push(await readBack(adapter, expected));
      const last = runs.at(-1) ?? { lines: 0, requests: 0, ms: 0 };
      const m = { requests: last.requests, ms: median(runs.map((x) => x.ms)), lines: last.lines };
      measured[label] = m;
      rows.push([
        label,
        m.lines.toLocaleString("en-US"),
        String(m.requests),
        ms(m.ms),
        runs.map((x) => ms(x.ms)).join(", "),
      ]);
    };

    await bc.export(entries, exportCtx);
    await measure("Business Central, journal lines (not posted)", bc, entries);
    await postJournal(sandbox);
    await measure("Business Central, posted G/L entries", bc, entries);

    await xl.export(entries, exportCtx);
    await measure("Xledger, GL import items", xl, entries);
    if (opts.olderItems > 0) {
      const older = month(opts.olderItems, "O").map((e) => ({ ...e, entryDate: "2025-10-15" }));
      await xl.export(older, exportCtx);
      await measure(
        `Xledger, same month with ${opts.olderItems.toLocaleString("en-US")} older items held`,
        xl,
        entries,
      );
    }

    // The whole run through the engine, on PostgreSQL: export, then one reconciliation of the month.
    const template = await ourTemplate();
    for (const type of ["dynamics", "xledger"] as const) {
      const r = await reconcileRun(template, sandbox, type, opts.entries);
      runs.push(r);
      rows.push([
        `whole run: ${type === "dynamics" ? "Business Central (posted)" : "Xledger"}, export then reconcile`,
        r.checked.toLocaleString("en-US"),
        String(r.requests),
        ms(r.reconcileSeconds * 1000),
        `export ${ms(r.exportSeconds * 1000)}; ${r.findings} finding(s)`,
      ]);
    }
  } finally {
    await sandbox.close();
  }
  const n = opts.entries.toLocaleString("en-US");
  const xlClean = measured["Xledger, GL import items"];
  const complete = Object.values(measured).every((m) => m.lines === opts.entries);
  const runOf = (type: IntegrationType) => runs.find((r) => r.type === type);
  // A clean month: every entry compared, no finding.
  const clean = (r: ReconcileRunFigures | undefined) =>
    r !== undefined && r.checked === opts.entries && r.findings === 0;
  const bcRun = runOf("dynamics");
  const xlRun = runOf("xledger");
  return {
    id: "reconcile",
    title: `9. Reconciliation of a clean month of ${n} exported entries (read-back, and the whole run)`,
    method:
      `${n} entries (balanced two-line vouchers over January 2026) exported to the sandbox through each adapter, then ` +
      `read back with \`readPeriod(2026-01-01..2026-01-31)\` with the entries as \`ctx.expected\`, ${opts.rounds} ` +
      `round(s), median time. Requests are those reported as \`onRequest("reconcile")\` — what the engine tallies and ` +
      `\`maxRequests\` bounds. Default page sizes: Business Central 5,000 per page (journal lines, then the period's G/L ` +
      `entries), Xledger 10,000 items per query (its cap; a scan of every item held, no public filter narrows by ` +
      `posting date). Sandbox on loopback: seconds are the adapters' and the sandbox's work, not network latency.`,
    header: ["read-back", "lines", "requests", "time (median)", "rounds"],
    rows,
    goals: [
      {
        what: `reconcile a clean month of ${n} entries (Business Central)`,
        goal: "within the request budget (5,000 / 300 s)",
        value:
          bcRun === undefined ? "n/a" : `${requests(bcRun.requests)}, ${ms(bcRun.reconcileSeconds * 1000)}`,
        met: complete && clean(bcRun) && (bcRun?.requests ?? Infinity) <= 5_000,
      },
      {
        what: `reconcile a clean month of ${n} entries (Xledger)`,
        goal: `within the request budget (${XLEDGER_ALLOWANCE.toLocaleString("en-US")} / month)`,
        value:
          xlRun === undefined ? "n/a" : `${requests(xlRun.requests)}, ${ms(xlRun.reconcileSeconds * 1000)}`,
        met: complete && clean(xlRun) && (xlRun?.requests ?? Infinity) * 31 <= XLEDGER_ALLOWANCE,
      },
    ],
    notes: [
      complete
        ? `Every read returned all ${n} lines with their entry ids (posted Business Central lines attributed through their voucher's documentNumber).`
        : "NOT every read returned all lines: see the lines column.",
      `Xledger: a daily reconciliation costs ⌈items held / 10,000⌉ requests; at ${xlClean?.requests ?? "?"} a day that is ` +
        `${((xlClean?.requests ?? 0) * 31).toLocaleString("en-US")} of the default ${XLEDGER_ALLOWANCE.toLocaleString("en-US")} a month.`,
      'The "whole run" rows: the entries exported by a worker through the real adapters to the sandbox, ' +
        "then one reconciliation run of their month through the engine on PostgreSQL (expected side in SQL, read-back, " +
        "compare, findings and totals recorded); requests are the run's own tally (`progress.requests`), time is the " +
        "run's started_at → finished_at. A clean month must end with every entry checked and no finding. They share " +
        "the sandbox with the rows above, so Xledger then holds the earlier items too (40,000 in the full run: " +
        "⌈40,000 / 10,000⌉ = 4 requests for the scan).",
      `Load average (1 / 5 / 15 min) when the section started: ${loadAtStart}; the request counts do not depend on it.`,
    ],
    seconds: (performance.now() - t0) / 1000,
  };
}
