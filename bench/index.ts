/**
 * `npm run bench` — the benchmark suite (issue 7), side by side with graphile-worker and pg-boss
 * on the same PostgreSQL in the same run. Prints a table per section and writes
 * docs/benchmarks.md. Machines are shared and noisy: every figure is a median over rounds, and
 * peers are compared by ratio within the run, never against fixed numbers.
 *
 *   npm run bench                      full run (≈ 10–15 min on 2 cores)
 *   npm run bench -- --quick           smaller counts, one round (< 2 min; the CI smoke test)
 *   npm run bench -- --only rpc,dispatch --rounds 5 --no-write
 *   npm run bench -- --only volume     months of data (1M runs; ≈ 10 min), not part of a full run
 *
 * Uses DATABASE_URL's server (else postgres://postgres@127.0.0.1:5432); creates and drops
 * databases named bench_*. Nothing here asserts on time.
 */
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { dropAll, environment } from "./lib/pg.ts";
import { goalRows, markdownTable, type SectionResult, textTable } from "./lib/report.ts";
import { dispatchSection } from "./sections/dispatch.ts";
import { realtimeSection } from "./sections/realtime.ts";
import { rpcSection } from "./sections/rpc.ts";
import { schedulerSection } from "./sections/scheduler.ts";
import { startupSection } from "./sections/startup.ts";
import { throughputSection } from "./sections/throughput.ts";
import { volumeSection } from "./sections/volume.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    rounds: { type: "string" },
    "no-write": { type: "boolean", default: false },
    out: { type: "string", default: "docs/benchmarks.md" },
  },
});
const quick = values.quick === true;
const rounds = values.rounds ? Number(values.rounds) : quick ? 1 : 3;

/** Counts: the in a full run; a quick run keeps every code path at a fraction of the size. */
const sizes = quick
  ? { rpc: 100, dispatch: 200, throughput: 2_000, realtimeDistinct: 200, realtimeOne: 50, schedule: 10_000 }
  : {
      rpc: 500,
      dispatch: 1_000,
      throughput: 20_000,
      realtimeDistinct: 1_000,
      realtimeOne: 100,
      schedule: 100_000,
    };

const sections: Record<string, () => Promise<SectionResult>> = {
  rpc: () => rpcSection({ n: sizes.rpc, rounds }),
  dispatch: () => dispatchSection({ n: sizes.dispatch, rounds }),
  throughput: () => throughputSection({ jobs: sizes.throughput, rounds, concurrency: 10 }),
  realtime: () =>
    realtimeSection({
      distinct: sizes.realtimeDistinct,
      shared: sizes.realtimeOne,
      rounds: Math.max(rounds, 1),
    }),
  scheduler: () => schedulerSection({ integrations: sizes.schedule, workers: 4, quick }),
  startup: () => startupSection({ rounds: quick ? 1 : rounds }),
  // Months of data (issue 15): seeding 1M runs takes minutes, so a full run leaves it out; run it
  // with --only volume, which rewrites just its part of docs/benchmarks.md.
  volume: () =>
    volumeSection(
      quick
        ? {
            runs: 20_000,
            audit: 10_000,
            alerts: 4_000,
            orgs: 500,
            healthChecks: 5_000,
            exports: 2_000,
            samples: 30,
          }
        : {
            runs: 1_000_000,
            audit: 500_000,
            alerts: 200_000,
            orgs: 5_000,
            healthChecks: 100_000,
            exports: 100_000,
            samples: 200,
          },
    ),
};
const ON_DEMAND = new Set(["volume"]);
const wanted = values.only
  ? values.only.split(",").map((s) => s.trim())
  : Object.keys(sections).filter((id) => !ON_DEMAND.has(id));
for (const w of wanted)
  if (!(w in sections)) throw new Error(`unknown section ${w}; one of ${Object.keys(sections)}`);

// An interrupted run (Ctrl-C, a CI timeout) or a library's unhandled error still drops its
// bench_* databases.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: dropping bench databases`);
    void dropAll().finally(() => process.exit(130));
  });
}
process.once("uncaughtException", (error) => {
  console.error("uncaught:", error);
  void dropAll().finally(() => process.exit(1));
});

const started = Date.now();
const env = await environment("0.5.17");
console.log(
  `Sync Scheduler benchmarks${quick ? " (--quick)" : ""}: ${env.cpus} CPUs, Node ${env.node}, PostgreSQL ${env.postgres} ` +
    `(fsync=${env.fsync}, synchronous_commit=${env.synchronousCommit}), ${rounds} round(s)\n`,
);
const results: SectionResult[] = [];
let failed = false;
try {
  for (const id of wanted) {
    const run = sections[id];
    if (!run) continue;
    process.stdout.write(`… ${id}\n`);
    try {
      const r = await run();
      results.push(r);
      console.log(`\n${r.title}  (${r.seconds.toFixed(1)} s)\n${textTable(r.header, r.rows)}`);
      if (r.goals.length > 0)
        console.log(`\n${textTable(["goal", "target", "measured", ""], goalRows(r.goals))}`);
      for (const n of r.notes) console.log(`  · ${n}`);
      console.log("");
    } catch (error) {
      failed = true;
      console.error(`section ${id} failed:`, error);
    }
  }
} finally {
  await dropAll();
}

const total = (Date.now() - started) / 1000;
console.log(`done in ${total.toFixed(0)} s`);

const out = values.out ?? "docs/benchmarks.md";
const existing = await readFile(out, "utf8").catch(() => "");
const sectionMarkdown = (r: SectionResult) =>
  [
    `## ${r.title}`,
    "",
    r.method,
    "",
    markdownTable(r.header, r.rows),
    "",
    ...r.notes.map((n) => `- ${n}`),
    ...(r.notes.length > 0 ? [""] : []),
    ...(r.goals.length > 0 ? [markdownTable(["goal", "target", "measured", ""], goalRows(r.goals)), ""] : []),
  ].join("\n");
/** The on-demand sections' text in a benchmarks file (from "## Volume" to the next "## " or the end). */
const onDemandPart = (md: string) => /\n## Volume[\s\S]*?(?=\n## |$)/.exec(md)?.[0] ?? "";

if (!values["no-write"] && !quick && values.only && wanted.every((id) => ON_DEMAND.has(id))) {
  const part = `\n${results.map(sectionMarkdown).join("\n")}`;
  const old = onDemandPart(existing);
  await writeFile(out, old ? existing.replace(old, part) : `${existing.trimEnd()}\n${part}`);
  console.log(`wrote the ${wanted.join(", ")} section to ${out}`);
}

if (!values["no-write"] && !quick && !values.only) {
  const goals = results.flatMap((r) => r.goals);
  const md = [
    "# Benchmarks",
    "",
    "Generated by `npm run bench` (bench/index.ts); do not edit the measured sections by hand —",
    "the analysis lives in [scaling.md](scaling.md) and in the commit messages.",
    "",
    "## Environment",
    "",
    markdownTable(
      ["", ""],
      [
        ["date", new Date().toISOString().slice(0, 16).replace("T", " ")],
        ["CPUs", `${env.cpus} × ${env.cpuModel}`],
        ["memory", `${env.memoryGb} GB`],
        ["Node.js", env.node],
        ["PostgreSQL", `${env.postgres} on 127.0.0.1 (TCP)`],
        ["fsync / synchronous_commit", `${env.fsync} / ${env.synchronousCommit}`],
        ["shared_buffers / max_connections", `${env.sharedBuffers} / ${env.maxConnections}`],
        ["PGlite", env.pglite],
        ["peers", "graphile-worker 0.18.0, pg-boss 12.38.0 (both declare Node ≥ 22; run here on Node 20)"],
        ["rounds", `${rounds}; figures are medians over rounds; total run ${total.toFixed(0)} s`],
      ],
    ),
    "",
    "## Goals",
    "",
    markdownTable(["goal", "target", "measured", ""], goalRows(goals)),
    "",
    // Hand-written: what each optimisation bought (before/after), kept next to the harness.
    await readFile(new URL("./optimisations.md", import.meta.url), "utf8"),
    ...results.flatMap((r) => [
      `## ${r.title}`,
      "",
      r.method,
      "",
      markdownTable(r.header, r.rows),
      "",
      ...r.notes.map((n) => `- ${n}`),
      ...(r.notes.length > 0 ? [""] : []),
    ]),
    // The on-demand sections are kept from the previous file (measured with --only volume).
    onDemandPart(existing).trim(),
  ].join("\n");
  await writeFile(out, md);
  console.log(`wrote ${out}`);
}
process.exit(failed ? 1 : 0);
