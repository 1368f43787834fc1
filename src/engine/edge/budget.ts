import { z } from "zod";

/**
 * How one Edge Function worker spends its wall clock (docs/architecture.md §5.5). Supabase limits a
 * function worker to 150 s of wall clock on Free (400 s paid) and 2 s of CPU per request
 * (https://supabase.com/docs/guides/functions/limits); the worker is killed, not warned, at the limit. The wall clock
 * belongs to the worker (isolate), not to a request: a request arriving at a 100 s old isolate has
 * only 50 s left, so the handler measures from isolate start (see `clock` in workerHandler.ts).
 *
 * Timeline with the defaults (seconds since the isolate started):
 *
 *     0 ─ reap, scheduler tick, claim ─ … claim more as runs finish … ─ 100 stop claiming
 *   120 ─ abort what still runs at its next safe point and release it to pending (attempt not charged)
 *   147 ─ give up waiting: release whatever is still marked as ours (fenced by worker id)
 *   150 ─ the platform kills the worker
 *
 * A batch send that started just before 120 s has `sendDeadlineSeconds` (20) to answer and is then
 * recorded (≈ 0.1 s): done by ≈ 140 s. Should the worker die anyway (CPU limit, crash), its leases
 * (60 s) expire and the next sweep's reaper returns the runs: nothing is lost, at most ≈ 2 min late.
 */
export const edgeBudgetSchema = z
  .object({
    /** The platform's wall clock per worker: 150 (Free) or 400 (paid plans). */
    wallClockSeconds: z.coerce.number().min(2).max(3600).default(150),
    /** Stop claiming new runs after this; default wall clock − 50 s (100 s of 150). */
    claimWindowSeconds: z.coerce.number().min(0).optional(),
    /** Abort and release what still runs at this point; default wall clock − 30 s (120 s of 150). */
    drainSeconds: z.coerce.number().min(0).optional(),
    /** Deadline for one export call (a send runs to its answer, never cut by the drain). Default 20 s. */
    sendDeadlineSeconds: z.coerce.number().min(0.1).max(600).default(20),
    /**
     * Lease per claimed run, 60 s: well inside the wall clock, so a run held by a worker that
     * died is back to pending within a minute (the reaper runs on every request and sweep).
     */
    leaseSeconds: z.coerce.number().int().min(2).max(3600).default(60),
    /** Four heartbeats per lease: three may fail (a database blip) before the run is lost. */
    heartbeatSeconds: z.coerce.number().min(0.5).max(1800).default(15),
    /**
     * Runs executed at once by one worker. Exports wait on the network, not the CPU: 4 keeps JSON
     * work for 4 batches of 100 entries far below the 2 s CPU limit.
     */
    concurrency: z.coerce.number().int().min(1).max(64).default(4),
  })
  .transform((b) => ({
    ...b,
    claimWindowSeconds: b.claimWindowSeconds ?? Math.max(0, b.wallClockSeconds - 50),
    drainSeconds: b.drainSeconds ?? Math.max(0, b.wallClockSeconds - 30),
  }))
  .refine((b) => b.claimWindowSeconds <= b.drainSeconds, {
    message: "the claim window must end before the drain starts",
    path: ["claimWindowSeconds"],
  })
  .refine((b) => b.drainSeconds + b.sendDeadlineSeconds < b.wallClockSeconds, {
    message: "a send started at the drain must be answered before the wall clock ends",
    path: ["drainSeconds"],
  })
  .refine((b) => b.heartbeatSeconds * 2 <= b.leaseSeconds, {
    message: "heartbeat must be at most half the lease, or one late heartbeat loses the run",
    path: ["heartbeatSeconds"],
  });

export type EdgeBudget = z.output<typeof edgeBudgetSchema>;
export type EdgeBudgetInput = z.input<typeof edgeBudgetSchema>;

/** The environment variable for each budget option (Supabase: `supabase secrets set …`). */
export const edgeBudgetEnv: Record<keyof EdgeBudget, string> = {
  wallClockSeconds: "SYNC_EDGE_WALL_CLOCK_SECONDS",
  claimWindowSeconds: "SYNC_EDGE_CLAIM_WINDOW_SECONDS",
  drainSeconds: "SYNC_EDGE_DRAIN_SECONDS",
  sendDeadlineSeconds: "SYNC_EDGE_SEND_DEADLINE_SECONDS",
  leaseSeconds: "SYNC_EDGE_LEASE_SECONDS",
  heartbeatSeconds: "SYNC_EDGE_HEARTBEAT_SECONDS",
  concurrency: "SYNC_EDGE_CONCURRENCY",
};

/**
 * Reads the budget from environment variables (unset ones keep their defaults).
 * @example const budget = edgeBudgetFromEnv((name) => Deno.env.get(name));
 */
export function edgeBudgetFromEnv(get: (name: string) => string | undefined): EdgeBudget {
  const input: Record<string, string> = {};
  for (const [key, name] of Object.entries(edgeBudgetEnv)) {
    const value = get(name);
    if (value !== undefined && value !== "") input[key] = value;
  }
  return edgeBudgetSchema.parse(input);
}

/** Absolute points in time (epoch ms) for one worker session. */
export interface Deadlines {
  claimUntil: number;
  drainAt: number;
  giveUpAt: number;
}

/** The deadlines of a session whose wall clock started at `startedAt` (epoch ms). */
export function deadlinesFrom(budget: EdgeBudget, startedAt: number): Deadlines {
  const wall = budget.wallClockSeconds * 1000;
  const drain = budget.drainSeconds * 1000;
  // Stop waiting for stragglers 3 s before the kill (one release statement needs far less), or
  // halfway between drain and kill when the budget is tiny (tests).
  const margin = Math.min(3_000, (wall - drain) / 2);
  return {
    claimUntil: startedAt + budget.claimWindowSeconds * 1000,
    drainAt: startedAt + drain,
    giveUpAt: startedAt + wall - margin,
  };
}
