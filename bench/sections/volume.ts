// Over 300 lines: seeding 1M rows is most of it; the measured operations are a list.
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { defaultPaths, migrate } from "../../src/db/migrate.ts";
import { openPostgres } from "../../src/db/postgres.ts";
import type { Db } from "../../src/db/types.ts";
import { runHealthChecks } from "../../src/engine/health/healthMonitor.ts";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { noMetrics } from "../../src/engine/observe/metrics.ts";
import { schedulerTick } from "../../src/engine/schedule/scheduler.ts";
import { createDatabase, dropDatabase } from "../lib/pg.ts";
import type { SectionResult } from "../lib/report.ts";
import { memberClaims, seedOrgs } from "../lib/seed.ts";
import { int, latency, ms } from "../lib/stats.ts";

export interface VolumeSizes {
  runs: number;
  audit: number;
  alerts: number;
  /** Organizations; each has two integrations (xledger and dynamics). */
  orgs: number;
  healthChecks: number;
  exports: number;
  /** Samples per measured operation. */
  samples: number;
}

// The tables that grow with time or with customers: a sequential scan of any of them while the
// product runs is what this section exists to catch.
const BIG_TABLES = [
  "sync_run_log",
  "sync_trigger_audit",
  "sync_alerts",
  "integration_health_checks",
  "ledger_entry_exports",
  "ledger_entries",
  "organization_integrations",
  "organizations",
  "organization_members",
];

// The migrations this section applies to the filled database, timed: the ones that change
// existing tables at this volume.
const TIMED_MIGRATIONS = ["20261130100000_bounded_numbers.sql", "20261130100100_volume_indexes.sql"];

/** Sequential scans per big table so far (pg_stat_user_tables; flushed when a backend exits). */
async function seqScans(url: string): Promise<Map<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ relname: string; seq_scan: string }>(
      "select relname, seq_scan from pg_stat_user_tables where schemaname = 'public' and relname = any($1)",
      [BIG_TABLES],
    );
    return new Map(rows.map((r) => [r.relname, Number(r.seq_scan)]));
  } finally {
    await c.end();
  }
}

/**
 * Runs `fn` `samples` times on a fresh pool (closed afterwards, so its backends flush their table
 * statistics) and reports the latencies and every sequential scan of a big table it caused.
 */
async function measure(
  url: string,
  samples: number,
  fn: (db: Db, i: number) => Promise<void>,
  prepare?: (db: Db, i: number) => Promise<void>,
): Promise<{ p50: number; p99: number; n: number; scans: string }> {
  const before = await seqScans(url);
  const db = openPostgres({ connectionString: url, max: 2 });
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      await prepare?.(db, i);
      const t0 = performance.now();
      await fn(db, i);
      times.push(performance.now() - t0);
    }
  } finally {
    await db.close();
  }
  // A backend reports its counters as it exits; give the exits a moment.
  await new Promise((r) => setTimeout(r, 500));
  const after = await seqScans(url);
  const scans = BIG_TABLES.flatMap((t) => {
    const d = (after.get(t) ?? 0) - (before.get(t) ?? 0);
    return d > 0 ? [`${t} ×${d}`] : [];
  });
  const l = latency(times);
  return { p50: l.p50, p99: l.p99, n: l.n, scans: scans.length === 0 ? "none" : scans.join(", ") };
}

/** One PostgREST-style read: role authenticated with the member's claims, in one transaction. */
async function asMember(db: Db, user: string, org: string, sql: string, params: unknown[]): Promise<number> {
  return db.transaction(async (tx) => {
    await tx.query(
      "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
      [JSON.stringify(memberClaims(user, org))],
    );
    const { rows } = await tx.query(sql, params);
    return rows.length;
  });
}

async function seed(db: Db, s: VolumeSizes): Promise<{ orgs: Array<{ org: string; coordinator: string }> }> {
  const orgs = await seedOrgs(db, s.orgs, "Volume");
  await db.query(
    "insert into public.organization_integrations (org_id, integration_type) select id, 'dynamics' from public.organizations",
  );
  // Every integration scheduled daily at 02:00 and not due: the tick measures its steady state.
  await db.query("update public.organization_integrations set schedule_cron = '0 2 * * *'");
  await db.query("update public.organization_integrations set next_run_at = now() + interval '1 day'");
  // Runs: 100 days of history, oldest first, round-robin over the integrations; 85 % succeeded,
  // 8 % failed, 5 % skipped (missed), 2 % cancelled. Inserted in slices of 100,000.
  for (let start = 0; start < s.runs; start += 100_000) {
    await db.query(
      `with i as (select row_number() over (order by id) - 1 as k, id, org_id, integration_type
                  from public.organization_integrations),
            n as (select count(*) as c from i),
            g as (select g, (g % 100) as pct, now() - (interval '100 days') * (1 - g::float8 / $2) as t
                  from generate_series($1::bigint, least($1::bigint + 99999, $2::bigint - 1)) g)
       insert into public.sync_run_log (org_id, integration_id, integration_type, status, triggered_by,
         triggered_at, scheduled_for, run_after, started_at, finished_at, attempt, records_exported, drift_ms,
         skip_reason, error_code)
       select i.org_id, i.id, i.integration_type,
         case when pct < 85 then 'succeeded' when pct < 93 then 'failed' when pct < 98 then 'skipped' else 'cancelled' end,
         case when pct % 10 = 0 then 'manual' else 'scheduled' end,
         g.t, case when pct % 10 = 0 then null else g.t end, g.t, g.t + interval '2 seconds', g.t + interval '30 seconds',
         1, (g.g % 500)::int, case when pct % 10 = 0 then null else 2000 end,
         case when pct between 93 and 97 then 'missed' end,
         case when pct between 85 and 92 then 'server_error' when pct >= 98 then 'cancelled' end
       from g cross join n join i on i.k = g.g % n.c`,
      [start, s.runs],
    );
  }
  // The live part of the queue: pending runs due now (claimed by the claim step) and running runs
  // whose worker died (the reaper's), each on its own integration (one active run per pair).
  const live = Math.min(2000, Math.floor((s.orgs * 2) / 4));
  await db.query(
    `with i as (select id, org_id, integration_type, row_number() over (order by id) as k
                from public.organization_integrations)
     insert into public.sync_run_log (org_id, integration_id, integration_type, status, triggered_by, run_after,
       attempt, worker_id, lease_expires_at, started_at, heartbeat_at)
     select org_id, id, integration_type,
       case when k <= $1 then 'pending' else 'running' end, 'scheduled', now() - interval '1 second' * k,
       case when k <= $1 then 0 else 1 end,
       case when k <= $1 then null else 'dead-worker' end,
       case when k <= $1 then null else now() - interval '1 minute' end,
       case when k <= $1 then null else now() - interval '2 minutes' end,
       case when k <= $1 then null else now() - interval '2 minutes' end
     from i where k <= 2 * $1`,
    [live],
  );
  await db.query(
    `with m as (select row_number() over (order by org_id) - 1 as k, org_id, user_id
                from public.organization_members where role = 'coordinator'),
          n as (select count(*) as c from m)
     insert into public.sync_trigger_audit (run_id, actor_user_id, org_id, integration_type, action, occurred_at)
     select gen_random_uuid(), m.user_id, m.org_id, case when g % 2 = 0 then 'xledger' else 'dynamics' end,
       case when g % 20 = 0 then 'cancel' else 'trigger' end,
       now() - interval '10 minutes' - interval '400 days' * (1 - g::float8 / $1)
     from generate_series(0, $1::int - 1) g cross join n join m on m.k = g % n.c`,
    [s.audit],
  );
  await db.query(
    `with i as (select row_number() over (order by id) - 1 as k, id, org_id from public.organization_integrations),
          n as (select count(*) as c from i)
     insert into public.sync_alerts (org_id, integration_id, run_id, kind, severity, message, created_at, resolved_at)
     select i.org_id, i.id, case when g % 10 < 6 then gen_random_uuid() end,
       case when g % 10 < 6 then 'drift' when g % 10 < 9 then 'health' else 'missed' end,
       'warning', 'bench', now() - interval '120 days' * (1 - g::float8 / $1),
       case when g % 10 between 6 and 8 and g % 7 <> 0 then now() - interval '120 days' * (1 - g::float8 / $1) + interval '1 hour' end
     from generate_series(0, $1::int - 1) g cross join n join i on i.k = g % n.c`,
    [s.alerts],
  );
  await db.query(
    `with i as (select row_number() over (order by id) - 1 as k, id, org_id from public.organization_integrations),
          n as (select count(*) as c from i)
     insert into public.integration_health_checks (integration_id, org_id, checked_at, ok, latency_ms)
     select i.id, i.org_id, now() - interval '40 days' * (1 - g::float8 / $1), g % 13 <> 0, 120
     from generate_series(0, $1::int - 1) g cross join n join i on i.k = g % n.c`,
    [s.healthChecks],
  );
  await db.query(
    `with o as (select row_number() over (order by id) - 1 as k, id from public.organizations),
          n as (select count(*) as c from o),
          e as (insert into public.ledger_entries (org_id, account, amount, approved_at)
                select o.id, '3000', 100, now() from generate_series(0, $1::int - 1) g cross join n join o on o.k = g % n.c
                returning id, org_id)
     insert into public.ledger_entry_exports (entry_id, integration_id, org_id, external_id, exported_at)
     select e.id, i.id, e.org_id, 'X-' || e.id, now() - interval '60 days' * random()
     from e join public.organization_integrations i on i.org_id = e.org_id and i.integration_type = 'xledger'`,
    [s.exports],
  );
  return { orgs: orgs.map((o) => ({ org: o.org, coordinator: o.coordinator })) };
}

export async function volumeSection(s: VolumeSizes): Promise<SectionResult> {
  const t0 = performance.now();
  const load = loadavg().map((l) => l.toFixed(2));
  const { name, url } = await createDatabase("volume");
  // Migrations up to (not including) the ones under test, then the data, then those, timed.
  const before = await mkdtemp(join(tmpdir(), "volume-migrations-"));
  const rows: string[][] = [];
  const notes: string[] = [];
  let wholeTableReads = 0;
  try {
    for (const f of await readdir(defaultPaths.migrationsDir))
      if (f.endsWith(".sql") && !TIMED_MIGRATIONS.includes(f) && f < (TIMED_MIGRATIONS[0] as string))
        await cp(join(defaultPaths.migrationsDir, f), join(before, f));
    const db = openPostgres({ connectionString: url, max: 2 });
    let orgs: Array<{ org: string; coordinator: string }>;
    try {
      await migrate(db, { migrationsDir: before });
      const seeded = performance.now();
      ({ orgs } = await seed(db, s));
      await db.query("vacuum analyze");
      notes.push(
        `Seeded ${int(s.runs)} runs, ${int(s.audit)} audit rows, ${int(s.alerts)} alerts, ${int(s.orgs * 2)} integrations ` +
          `(${int(s.orgs)} orgs), ${int(s.healthChecks)} health checks, ${int(s.exports)} exports in ${((performance.now() - seeded) / 1000).toFixed(0)} s; ` +
          `load average before the section ${load.join(" / ")} (1 / 5 / 15 min, 2 cores shared with other sessions).`,
      );
      for (const f of TIMED_MIGRATIONS) {
        const dir = await mkdtemp(join(tmpdir(), "volume-one-"));
        for (const g of await readdir(before)) await cp(join(before, g), join(dir, g));
        await cp(join(defaultPaths.migrationsDir, f), join(dir, f));
        const m0 = performance.now();
        await migrate(db, { migrationsDir: dir });
        const took = performance.now() - m0;
        await cp(join(defaultPaths.migrationsDir, f), join(before, f));
        await rm(dir, { recursive: true, force: true });
        rows.push([`migration ${f}`, "1", ms(took), ms(took), "(DDL)"]);
      }
      // The migrations after the timed ones, untimed: the product as it ships.
      await migrate(db);
      // Statistics after the new indexes; autovacuum off so only the product's reads count as scans.
      await db.query("analyze");
      for (const t of BIG_TABLES) await db.query(`alter table public.${t} set (autovacuum_enabled = false)`);
    } finally {
      await db.close();
    }

    const pick = (i: number) => orgs[(i * 7919) % orgs.length] as { org: string; coordinator: string };
    const add = (label: string, r: { p50: number; p99: number; n: number; scans: string }) => {
      rows.push([label, int(r.n), ms(r.p50), ms(r.p99), r.scans]);
      if (r.scans !== "none") wholeTableReads++;
    };
    const runColumns =
      "id,org_id,integration_id,integration_type,status,triggered_by,triggered_by_user_id,triggered_at,scheduled_for,attempt,max_attempts,started_at,finished_at,records_exported,error_code,error_message,drift_ms,skip_reason,cancel_requested_at,updated_at";
    const reads: Array<[string, string, (o: { org: string }) => unknown[]]> = [
      [
        "dashboard: runs of the org, newest 20",
        `select ${runColumns} from public.sync_run_log where org_id = $1 order by triggered_at desc limit 20`,
        (o) => [o.org],
      ],
      [
        "dashboard: runs of the org and type, newest 20",
        `select ${runColumns} from public.sync_run_log where org_id = $1 and integration_type = 'dynamics' order by triggered_at desc limit 20`,
        (o) => [o.org],
      ],
      [
        "client: runs I may see (RLS only), newest 20",
        `select ${runColumns} from public.sync_run_log order by triggered_at desc limit 20`,
        () => [],
      ],
      [
        "dashboard: integrations of the org",
        "select * from public.organization_integrations where org_id = $1 order by integration_type desc",
        (o) => [o.org],
      ],
      [
        "dashboard: alerts of the org, newest 20",
        "select * from public.sync_alerts where org_id = $1 order by created_at desc limit 20",
        (o) => [o.org],
      ],
      [
        "client: trigger audit of the org, newest 20",
        "select * from public.sync_trigger_audit where org_id = $1 order by occurred_at desc limit 20",
        (o) => [o.org],
      ],
      [
        "client: exports of the org, newest 20",
        "select * from public.ledger_entry_exports where org_id = $1 order by exported_at desc limit 20",
        (o) => [o.org],
      ],
      [
        "client: health checks of the org, newest 20",
        "select * from public.integration_health_checks where org_id = $1 order by checked_at desc limit 20",
        (o) => [o.org],
      ],
    ];
    for (const [label, sql, params] of reads)
      add(
        label,
        await measure(url, s.samples, async (db, i) => {
          const o = pick(i);
          await asMember(db, o.coordinator, o.org, sql, params(o));
        }),
      );

    add(
      "claim_runs(10) with the backlog",
      await measure(url, Math.min(s.samples, 150), async (db) => {
        await db.query("select id from sync_engine.claim_runs('bench-volume', 10, 60)");
      }),
    );
    add(
      "reap_expired_leases(20)",
      await measure(url, Math.min(s.samples, 90), async (db) => {
        await db.query("select * from sync_engine.reap_expired_leases(20)");
      }),
    );
    const tickConfig = { schedulerBatch: 500, catchUpWindowSeconds: 86_400 };
    add(
      "scheduler tick, nothing due",
      await measure(url, Math.min(s.samples, 50), async (db) => {
        await schedulerTick(db, new Date(), tickConfig, silentLogger);
      }),
    );
    add(
      "scheduler tick, 500 due",
      await measure(
        url,
        10,
        async (db) => {
          await schedulerTick(db, new Date(), tickConfig, silentLogger);
        },
        async (db, i) => {
          // Untimed: 500 integrations become due (their runs finish first, so they enqueue). By
          // key: the harness's own set-up must not count as the product reading a whole table
          // (an OFFSET of up to 9,500 rows is planned as a scan and a sort).
          await db.transaction(async (tx) => {
            await tx.query("set local enable_seqscan = off");
            await tx.query(
              `with d as (select id from public.organization_integrations order by id offset $1 limit 500)
               update public.organization_integrations i set next_run_at = now() - interval '1 second'
               from d where i.id = d.id`,
              [(i * 500) % Math.max(s.orgs * 2 - 500, 1)],
            );
          });
        },
      ),
    );
    add(
      "health monitor round (20 due, no-op ping)",
      await measure(url, Math.min(s.samples, 50), async (db) => {
        await runHealthChecks({
          db,
          ping: async () => undefined,
          log: silentLogger,
          metrics: noMetrics,
          config: { healthIntervalSeconds: 900, healthBackoffCapSeconds: 21_600 },
        });
      }),
    );
    // Orgs whose xledger integration has no active run: each call is a success.
    const idle = await (async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        const { rows: free } = await c.query<{ org_id: string }>(
          `select i.org_id from public.organization_integrations i
           where i.integration_type = 'xledger'
             and not exists (select from public.sync_run_log r where r.org_id = i.org_id
                             and r.integration_type = 'xledger' and r.status in ('pending', 'running'))`,
        );
        const ids = new Set(free.map((r) => r.org_id));
        return orgs.filter((o) => ids.has(o.org));
      } finally {
        await c.end();
      }
    })();
    add(
      "RPC trigger_integration_sync (success)",
      await measure(url, Math.min(s.samples, 200, idle.length), async (db, i) => {
        const o = idle[i] as { org: string; coordinator: string };
        await db.transaction(async (tx) => {
          await tx.query(
            "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
            [JSON.stringify(memberClaims(o.coordinator, o.org))],
          );
          await tx.query("select public.trigger_integration_sync($1, 'xledger')", [o.org]);
        });
      }),
    );
    for (const [label, sql] of [
      ["prune_run_log(90 days), 5,000 a call", "select sync_engine.prune_run_log(interval '90 days')"],
      ["prune_alerts(90 days), 5,000 a call", "select sync_engine.prune_alerts(interval '90 days')"],
      [
        "prune_health_checks(30 days), 5,000 a call",
        "select sync_engine.prune_health_checks(interval '30 days')",
      ],
    ] as const)
      add(
        label,
        await measure(url, 10, async (db) => {
          await db.query(sql);
        }),
      );
  } finally {
    await rm(before, { recursive: true, force: true });
    await dropDatabase(name);
  }
  return {
    id: "volume",
    title: `Volume: ${int(s.runs)} runs, ${int(s.audit)} audit rows, ${int(s.alerts)} alerts, ${int(s.orgs * 2)} integrations`,
    method:
      "One PostgreSQL 15 database filled with months of data (runs over 100 days, audit over 400, alerts over 120, health " +
      "checks over 40), then every read and write the product makes at that size, one at a time on a fresh pool: the " +
      "dashboard's and the client's reads as a signed-in coordinator under RLS (PostgREST-style transactions), the " +
      "engine's claim, reaper, scheduler tick, health round and retention, and the manual-trigger RPC. The two migrations " +
      "of issue 15 are applied to the filled database and timed. Whole-table reads are counted from pg_stat_user_tables " +
      "(seq_scan on the big tables, autovacuum off during the measurements) — nothing else asserts on time.",
    header: ["operation", "samples", "p50", "p99", "whole-table reads"],
    rows,
    goals: [
      {
        what: "volume: operations that read a whole table",
        goal: "none",
        value: String(wholeTableReads),
        met: wholeTableReads === 0,
      },
    ],
    notes,
    seconds: (performance.now() - t0) / 1000,
  };
}
