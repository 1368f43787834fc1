/**
 * One worker process of the throughput benchmark (forked by sections/throughput.ts with
 * `--import tsx`). Starts consuming an empty queue at once and reports "started"; the parent
 * then commits all jobs in one transaction and decides when the queue is drained by asking the
 * database, so every peer is timed the same way and neither start-up nor enqueue is in the
 * figure. On "stop" it stops and reports its peak RSS.
 *
 *   argv: <peer> <database url> <concurrency>
 */
import { run } from "graphile-worker";
import { PgBoss } from "pg-boss";
import { openPostgres } from "../../src/db/postgres.ts";
import { Worker } from "../../src/engine/run/worker.ts";
import { noopExecutor } from "../lib/noopExecutor.ts";
import { QUEUE, silentGraphileLogger } from "../lib/peers.ts";

const [peer, url, concurrencyArg] = process.argv.slice(2);
if (!peer || !url) throw new Error("usage: drainWorker <peer> <url> <concurrency>");
const concurrency = Number(concurrencyArg ?? 10);
let executed = 0;

type Started = { stop(): Promise<void> };

async function startOurs(): Promise<Started> {
  // Pool: concurrency + 2 (heartbeat, completer) as the worker CLI sizes it.
  const db = openPostgres({ connectionString: url as string, max: concurrency + 2 });
  const worker = new Worker({
    db,
    scheduler: false,
    config: { concurrency },
    executor: async (ctx) => {
      executed++;
      return noopExecutor(ctx);
    },
  });
  await worker.start();
  return {
    stop: async () => {
      await worker.stop(5);
      await db.close();
    },
  };
}

async function startGraphile(batched: boolean): Promise<Started> {
  const runner = await run({
    connectionString: url as string,
    concurrency,
    noHandleSignals: true,
    logger: silentGraphileLogger,
    // 0.18 reads these from the preset (top-level options are ignored with a warning).
    ...(batched
      ? { preset: { worker: { localQueue: { size: concurrency + 1 }, completeJobBatchDelay: 0 } } }
      : {}),
    taskList: {
      [QUEUE]: async () => {
        executed++;
      },
    },
  });
  return { stop: () => runner.stop() };
}

async function startPgBoss(): Promise<Started> {
  const boss = new PgBoss({ connectionString: url as string, useListenNotify: true, schedule: false });
  boss.on("error", () => {});
  await boss.start();
  // pg-boss waits its polling interval after every fetch unless it is in "burst" mode, and with
  // batchSize 1 burst mode never starts (measured here: localConcurrency 10 × batchSize 1 ran 10
  // jobs, then idled for the 30 s notify interval). Its documented way to drain a backlog is a
  // batch with burstWhenBatchFull: one worker fetching `concurrency` jobs, run concurrently, so
  // at most `concurrency` are in flight as for the other queues.
  await boss.work(
    QUEUE,
    { localConcurrency: 1, batchSize: concurrency, burstWhenBatchFull: true, pollingIntervalSeconds: 0.5 },
    async (jobs) => {
      await Promise.all(
        jobs.map(async () => {
          executed++;
        }),
      );
    },
  );
  return { stop: () => boss.stop({ graceful: false, close: true }) };
}

// Peak RSS by sampling: ru_maxrss (process.resourceUsage) of a forked child still counts the
// parent's pages from before exec, so every worker reported the bench process's size.
let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 25);
sampler.unref();

const send = (m: object) => process.send?.(m);
let started: Started | null = null;
process.on("message", async (m: { cmd: string }) => {
  if (m.cmd === "stop") {
    await started?.stop();
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    send({ event: "stopped", executed, maxRssKb: peakRss / 1024 });
    process.exit(0);
  }
});
started =
  peer === "ours"
    ? await startOurs()
    : peer === "graphile-worker"
      ? await startGraphile(false)
      : peer === "graphile-worker (batched)"
        ? await startGraphile(true)
        : await startPgBoss();
send({ event: "started" });
