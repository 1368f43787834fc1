/**
 * `npm run bench` — the benchmark suite (issue 7), side by side with graphile-worker and pg-boss
 * on the same PostgreSQL in the same run. Prints a table per section and writes
 * docs/benchmarks.md. Machines are shared and noisy: every figure is a median over rounds, and
 * peers are compared by ratio within the run, never against fixed numbers.
 *
 *   npm run bench                      full run (≈ 10–15 min on 2 cores)
 *   npm run bench -- --quick           smaller counts, one round (< 2 min; the CI smoke test)
 *   npm run bench -- --only rpc,dispatch --rounds 5 --no-write
 *   npm run bench -- --soak 10m        the soak alone (steady load, faults, a worker restart)
 *
 * Uses DATABASE_URL's server (else postgres://postgres@127.0.0.1:5432); creates and drops
 * databases named bench_*. Nothing here asserts on time.
 */
import { readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { dropAll, environment } from "./lib/pg.ts";
import {
  goalRows,
  markdownTable,
  type SectionResult,
  sectionMarkdown,
  textTable,
  updateSections,
} from "./lib/report.ts";
import { dispatchSection } from "./sections/dispatch.ts";
import { packageSection } from "./sections/package.ts";
import { realtimeSection } from "./sections/realtime.ts";
import { reconcileSection } from "./sections/reconcile.ts";
import { rpcSection } from "./sections/rpc.ts";
import { schedulerSection } from "./sections/scheduler.ts";
import { soakSection } from "./sections/soak.ts";
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
    // With --only: replace just those sections (and their goal rows) in the existing file.
    update: { type: "boolean", default: false },
    soak: { type: "string" },
  },
});
const soakMinutes = values.soak ? Number(/^(\d+)m?$/.exec(values.soak)?.[1] ?? Number.NaN) : 0;
if (values.soak && !(soakMinutes >= 1))
  throw new Error(`--soak takes minutes, e.g. --soak 10m (got ${values.soak})`);
// The soak section runs from its heading to this marker; a full run keeps it, a soak run replaces it.
const SOAK_HEADING = "## 7. Soak";
const SOAK_END = "<!-- soak:end -->";
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
  package: () => packageSection({ rounds: quick ? 1 : rounds }),
  // Issue 18: a clean month of 10,000 exported entries read back by both adapters from the sandbox.
  reconcile: () =>
    reconcileSection({ entries: quick ? 1_000 : 10_000, olderItems: quick ? 0 : 20_000, rounds }),
};
const ON_DEMAND = new Set(["volume"]);
// `--quick` (CI's smoke run, under a 300 s timeout) leaves out the package section: it builds, packs
// and installs, minutes on a shared machine, and scripts/package-check.sh runs that path in CI anyway.
if (soakMinutes > 0)
  (sections as Record<string, () => Promise<SectionResult>>).soak = () =>
    soakSection({ minutes: soakMinutes });
const wanted =
  soakMinutes > 0
    ? ["soak"]
    : values.only
      ? values.only.split(",").map((s) => s.trim())
      : Object.keys(sections).filter((id) => !ON_DEMAND.has(id) && !(quick && id === "package"));
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
    `(fsync=${env.fsync}, synchronous_commit=${env.synchronousCommit}), ${rounds} round(s), ` +
    `load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" / ")}\n`,
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
// Other sessions share this machine's cores: the load average says how far to trust the figures.
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" / ");
console.log(`done in ${total.toFixed(0)} s; load average (1 / 5 / 15 min) ${load()}`);

const out = values.out ?? "docs/benchmarks.md";
const existing = await readFile(out, "utf8").catch(() => "");
/** An on-demand section with its goal rows (a full run prints goals in the summary table instead). */
const onDemandMarkdown = (r: SectionResult) =>
  [
    ...sectionMarkdown(r),
    ...(r.goals.length > 0 ? [markdownTable(["goal", "target", "measured", ""], goalRows(r.goals)), ""] : []),
  ].join("\n");
/** The on-demand sections' text in a benchmarks file (from "## Volume" to the next "## " or the end). */
const onDemandPart = (md: string) => /\n## Volume[\s\S]*?(?=\n## |$)/.exec(md)?.[0] ?? "";

if (!values["no-write"] && !quick && !failed && values.only && wanted.every((id) => ON_DEMAND.has(id))) {
  const part = `\n${results.map(onDemandMarkdown).join("\n")}`;
  const old = onDemandPart(existing);
  await writeFile(out, old ? existing.replace(old, part) : `${existing.trimEnd()}\n${part}`);
  console.log(`wrote the ${wanted.join(", ")} section to ${out}`);
}

/** The soak's text (from its "## 7. Soak" heading to the end marker), kept by every other kind of run. */
const soakPart = (md: string) => {
  const a = md.indexOf(`\n${SOAK_HEADING}`);
  const b = md.indexOf(SOAK_END, a);
  return a >= 0 && b > a ? md.slice(a + 1, b + SOAK_END.length) : "";
};

if (!values["no-write"] && soakMinutes > 0 && results[0]) {
  const block = [
    sectionMarkdown(results[0]).join("\n").trimEnd(),
    `- Run ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; load average at the end (1 / 5 / 15 min): ${load()}.`,
    SOAK_END,
  ].join("\n");
  const old = soakPart(existing);
  await writeFile(out, old ? existing.replace(old, block) : `${existing.trimEnd()}\n\n${block}\n`);
  console.log(`wrote the soak section of ${out}`);
} else if (!values["no-write"] && !quick && !values.only) {
  const goals = results.flatMap((r) => r.goals);
  const md = [
    "# Benchmarks",
    "",
    "Generated by `npm run bench` (bench/index.ts); do not edit the measured sections by hand —",
    'the analysis lives in [scaling.md](scaling.md), in the commit messages and, for "What the optimisations',
    'bought", in bench/optimisations.md, which every full run copies in.',
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
    ...results.flatMap(sectionMarkdown),
    // The on-demand sections are kept from the previous file (measured with --only volume, --soak).
    onDemandPart(existing).trim(),
    "",
    soakPart(existing),
    "",
  ].join("\n");
  await writeFile(out, md);
  console.log(`wrote ${out}`);
}
if (values.update && values.only && !quick && !failed) {
  const file = values.out ?? "docs/benchmarks.md";
  await writeFile(file, updateSections(await readFile(file, "utf8"), results));
  console.log(`updated ${results.map((r) => r.id).join(", ")} in ${file}`);
}
process.exit(failed ? 1 : 0);
