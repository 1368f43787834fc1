import { Logger, run, runMigrations } from "graphile-worker";
import pg from "pg";
import { PgBoss } from "pg-boss";
import { createDatabase } from "./pg.ts";

/**
 * The two peers, configured the way their documentation recommends for low latency / high
 * throughput, on their own databases of the same server.
 *
 * - graphile-worker 0.18: LISTEN/NOTIFY on job insert (its default), prepared statements
 *   (default). "default" = stock settings; "batched" = localQueue (size concurrency + 1, its
 *   docs' "good starting point") + completeJobBatchDelay 0, its documented throughput options.
 * - pg-boss 12.38: polling by default (2 s); its fastest documented mode is
 *   `useListenNotify: true` on the instance plus `notify: true` on the queue, which wakes
 *   workers on insert (pollingIntervalSeconds ≥ 0.5 is the floor otherwise).
 */
export type PeerName = "graphile-worker" | "graphile-worker (batched)" | "pg-boss";

export const QUEUE = "bench";

/** graphile-worker logs every job at info; the bench wants silence. */
export const silentGraphileLogger = new Logger(() => () => {});

export async function graphileTemplate(): Promise<string> {
  const { name, url } = await createDatabase("tpl_gw");
  await runMigrations({ connectionString: url, logger: silentGraphileLogger });
  return name;
}

export async function pgBossTemplate(): Promise<string> {
  const { name, url } = await createDatabase("tpl_boss");
  const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false });
  boss.on("error", () => {});
  await boss.start();
  await boss.createQueue(QUEUE, { notify: true });
  await boss.stop({ graceful: false, close: true });
  // pg-boss's stop resolves before its pool is fully released; wait until the template is free.
  const c = new pg.Client({ connectionString: url.replace(/\/[^/]+$/, "/postgres") });
  await c.connect();
  for (let i = 0; i < 100; i++) {
    const { rows } = await c.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where datname = $1",
      [name],
    );
    if ((rows[0]?.n ?? 0) === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await c.end();
  return name;
}

/** An in-process queue for the dispatch benchmark: enqueue one job; `onStart` fires when its handler starts. */
export interface LatencyQueue {
  enqueue(): Promise<void>;
  close(): Promise<void>;
}

export async function graphileLatencyQueue(url: string, onStart: () => void): Promise<LatencyQueue> {
  // Our own pool with an error listener: graphile-worker's internal pool could still hold a
  // connection after stop(), and dropping the database then terminated it with an unhandled
  // 'error' event (a crash of the whole bench, seen here).
  const pgPool = new pg.Pool({ connectionString: url, max: 12 });
  pgPool.on("error", () => {});
  const runner = await run({
    pgPool,
    concurrency: 10,
    noHandleSignals: true,
    logger: silentGraphileLogger,
    taskList: {
      [QUEUE]: async () => {
        onStart();
      },
    },
  });
  return {
    enqueue: async () => {
      await runner.addJob(QUEUE, {});
    },
    close: async () => {
      await runner.stop();
      await pgPool.end();
    },
  };
}

export async function pgBossLatencyQueue(url: string, onStart: () => void): Promise<LatencyQueue> {
  const boss = new PgBoss({ connectionString: url, useListenNotify: true, schedule: false });
  boss.on("error", () => {});
  await boss.start();
  await boss.work(
    QUEUE,
    { batchSize: 1, pollingIntervalSeconds: 0.5, notifyPollingIntervalSeconds: 30 },
    async () => {
      onStart();
    },
  );
  return {
    enqueue: async () => {
      await boss.send(QUEUE, {});
    },
    close: () => boss.stop({ graceful: false, close: true }),
  };
}
