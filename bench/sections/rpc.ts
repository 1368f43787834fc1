import { createClient } from "@supabase/supabase-js";
import { WebSocket } from "ws";
import { migrate } from "../../src/db/migrate.ts";
import { openPglite } from "../../src/db/pglite.ts";
import { openPostgres } from "../../src/db/postgres.ts";
import type { Db } from "../../src/db/types.ts";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { startStack } from "../../src/local/stack/startStack.ts";
import { createDatabase, dropDatabase } from "../lib/pg.ts";
import type { SectionResult } from "../lib/report.ts";
import { memberClaims, memberToken, type SeededOrg, seedOrgs } from "../lib/seed.ts";
import { type Latency, latency, medianLatency, ms } from "../lib/stats.ts";

/**
 * The outcomes measured, in the order each org goes through them: a success leaves a pending
 * run (→ the second call is sync_already_in_progress); cancelling it leaves the 5-minute window
 * (→ rate_limited); a viewer is refused at check 3 (permission_denied). Refusals run the same
 * checks a success runs up to where they stop, so they bound the check phase from both sides.
 */
const CASES = ["success", "sync_already_in_progress", "rate_limited", "permission_denied"] as const;
type Case = (typeof CASES)[number];

/** One timed call; `prepare` runs untimed before it (a signed-in client already holds its token). */
type Call = ((o: SeededOrg, c: Case) => Promise<string | null>) & {
  prepare?: (o: SeededOrg, c: Case) => Promise<void>;
};

/** One PostgREST-style transaction: set role, set claims, call (as PostgREST runs an RPC). */
function sqlCaller(db: Db): Call {
  return async (o, c) => {
    const user = c === "permission_denied" ? o.viewer : o.coordinator;
    try {
      await db.transaction(async (tx) => {
        await tx.query(
          "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)",
          [JSON.stringify(memberClaims(user, o.org))],
        );
        await tx.query("select public.trigger_integration_sync($1, $2)", [o.org, "xledger"]);
      });
      return null;
    } catch (error) {
      const message = (error as { message?: string }).message ?? "";
      return /"code":\s*"(\w+)"/.exec(message)?.[1] ?? "error";
    }
  };
}

async function measure(db: Db, orgs: SeededOrg[], call: Call): Promise<Record<Case, number[]>> {
  const out = Object.fromEntries(CASES.map((c) => [c, [] as number[]])) as Record<Case, number[]>;
  for (const c of CASES) {
    if (c === "rate_limited") {
      // Leave the active-run check behind; the audit row keeps the 5-minute window closed.
      await db.query(
        "update public.sync_run_log set status = 'cancelled', finished_at = now() where org_id = any($1::uuid[]) and status = 'pending'",
        [orgs.map((o) => o.org)],
      );
    }
    for (const o of orgs) {
      await call.prepare?.(o, c);
      const t0 = performance.now();
      const code = await call(o, c);
      const elapsed = performance.now() - t0;
      const expected = c === "success" ? null : c;
      if (code !== expected) throw new Error(`rpc bench: expected ${expected ?? "success"}, got ${code}`);
      out[c].push(elapsed);
    }
  }
  return out;
}

interface Target {
  label: string;
  open(): Promise<{ db: Db; call: Call; close(): Promise<void> }>;
  /** The p99 goal for this transport. */
  goalMs: number;
}

export async function rpcSection(opts: { n: number; rounds: number }): Promise<SectionResult> {
  const t0 = performance.now();
  const targets: Target[] = [
    {
      label: "SQL, PostgreSQL",
      goalMs: 5,
      async open() {
        const { name, url } = await createDatabase("rpc");
        const db = openPostgres({ connectionString: url, max: 1 });
        await migrate(db);
        return {
          db,
          call: sqlCaller(db),
          close: async () => {
            await db.close();
            await dropDatabase(name);
          },
        };
      },
    },
    {
      label: "SQL, PGlite",
      goalMs: 5,
      async open() {
        const db = await openPglite();
        await migrate(db);
        return { db, call: sqlCaller(db), close: () => db.close() };
      },
    },
    ...(["pglite", "postgres"] as const).map(
      (kind): Target => ({
        label: `HTTP supabase-js → gateway (${kind === "pglite" ? "PGlite" : "PostgreSQL"})`,
        goalMs: 10,
        async open() {
          const dbc = kind === "postgres" ? await createDatabase("rpc_http") : null;
          const stack = await startStack({
            port: 0,
            inMemory: true,
            ...(dbc ? { dbUrl: dbc.url } : {}),
            log: silentLogger,
          });
          // Measuring the RPC, not the engine: no worker picks up the runs it creates.
          await stack.worker.stop(0);
          let token = "";
          const client = createClient(stack.url, stack.anonKey, {
            accessToken: async () => token,
            realtime: { transport: WebSocket as never },
          });
          const tokens = new Map<string, string>();
          const call: Call = async (o) => {
            const { error } = await client.rpc("trigger_integration_sync", {
              org_id: o.org,
              integration_type: "xledger",
            });
            return error ? error.code : null;
          };
          call.prepare = async (o, c) => {
            const user = c === "permission_denied" ? o.viewer : o.coordinator;
            const key = `${user}:${o.org}`;
            token = tokens.get(key) ?? (await memberToken(user, o.org));
            tokens.set(key, token);
          };
          return {
            db: stack.db,
            call,
            close: async () => {
              await stack.close();
              if (dbc) await dropDatabase(dbc.name);
            },
          };
        },
      }),
    ),
  ];

  const rows: string[][] = [];
  const goals: SectionResult["goals"] = [];
  for (const target of targets) {
    const { db, call, close } = await target.open();
    const perCase = Object.fromEntries(CASES.map((c) => [c, [] as Latency[]])) as Record<Case, Latency[]>;
    try {
      // One warm-up round (plan caches, JIT of the client), not reported.
      await measure(db, await seedOrgs(db, Math.min(50, opts.n), "Warm"), call);
      for (let r = 0; r < opts.rounds; r++) {
        const orgs = await seedOrgs(db, opts.n, `Round ${r}`);
        const samples = await measure(db, orgs, call);
        for (const c of CASES) perCase[c].push(latency(samples[c]));
      }
    } finally {
      await close();
    }
    let worst = 0;
    for (const c of CASES) {
      const l = medianLatency(perCase[c]);
      worst = Math.max(worst, l.p99);
      rows.push([target.label, c, String(opts.n * opts.rounds), ms(l.p50), ms(l.p99), ms(l.max)]);
    }
    goals.push({
      what: `RPC p99, ${target.label}`,
      goal: `≤ ${target.goalMs} ms`,
      value: ms(worst),
      met: worst <= target.goalMs,
    });
  }
  return {
    id: "rpc",
    title: "1. RPC check phase (trigger_integration_sync)",
    method:
      `Sequential calls on one connection. SQL level = one PostgREST-style transaction (BEGIN; set role + request.jwt.claims; ` +
      `call; COMMIT: 4 round trips). HTTP = supabase-js \`rpc()\` against the embedded stack (\`startStack\`, worker stopped). ` +
      `${opts.n} fresh orgs per round × ${opts.rounds} rounds per case; p50/p99/max are medians of the per-round values.`,
    header: ["transport", "outcome", "calls", "p50", "p99", "max"],
    rows,
    goals,
    notes: [],
    seconds: (performance.now() - t0) / 1000,
  };
}
