/**
 * One worker process of the soak (forked by sections/soak.ts with `--import tsx`): the
 * production Worker with its default export executor, scheduler and reaper, against the
 * sandbox the integrations point at. Reports "started", then its RSS every second; on "stop"
 * it stops gracefully (in-flight runs finish or are handed back) and reports "stopped".
 *
 *   argv: <database url> <concurrency>
 */
import { openPostgres } from "../../src/db/postgres.ts";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { Worker } from "../../src/engine/run/worker.ts";

const [url, concurrencyArg] = process.argv.slice(2);
if (!url) throw new Error("usage: soakWorker <url> <concurrency>");
const concurrency = Number(concurrencyArg ?? 10);
// Pool: concurrency + 2 (heartbeat, completer) as the worker CLI sizes it.
const db = openPostgres({ connectionString: url, max: concurrency + 2 });
// Scheduler every second (default 15 s) so a minute's periods are enqueued within ≈ 1 s of
// their instant and drift measures the engine, not the tick interval.
const worker = new Worker({ db, log: silentLogger, config: { concurrency, schedulerSeconds: 1 } });
const send = (m: object) => process.send?.(m);
const sampler = setInterval(() => send({ event: "rss", rss: process.memoryUsage.rss() }), 1000);
process.on("message", async (m: { cmd: string }) => {
  if (m.cmd !== "stop") return;
  clearInterval(sampler);
  await worker.stop(10);
  await db.close();
  send({ event: "stopped" });
  process.exit(0);
});
await worker.start();
send({ event: "started" });
