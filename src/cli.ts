import { readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { migrateCommand, migrateSpec } from "./cli/migrate.ts";
import type { CommandSpec } from "./cli/options.ts";
import { sandboxCommand, sandboxSpec } from "./cli/sandbox.ts";
import { startCommand, startSpec } from "./cli/start.ts";
import { workerCommand, workerSpec } from "./cli/worker.ts";

// PGlite is PostgreSQL compiled to WebAssembly. V8 runs it in baseline code first and compiles a
// function again with its optimizing compiler once it has used up a "tiering budget" (default
// 1,800,000, roughly bytes executed). Starting PostgreSQL runs thousands of functions past that
// once, and those optimizing compiles take the 2 cores from the start itself. With a budget 100×
// higher (2-core machine, warm data dir): `start` ready in ≈ 0.88 s instead of ≈ 1.06 s, the first
// 600 queries on a fresh process 700 → 420 ms; a warm process runs them ≈ 5 % slower (190 vs
// 181 ms per 600), since fewer middling functions are ever optimized. Set before any WebAssembly
// is compiled; only the commands on PGlite run WebAssembly (workers on PostgreSQL do not).
setFlagsFromString("--wasm-tiering-budget=180000000");

const commands: ReadonlyArray<{ spec: CommandSpec; run: (argv: string[]) => Promise<number> }> = [
  { spec: startSpec, run: startCommand },
  { spec: migrateSpec, run: migrateCommand },
  { spec: workerSpec, run: workerCommand },
  { spec: sandboxSpec, run: sandboxCommand },
];

const usage = [
  "Usage: sync-scheduler <command> [options]",
  "",
  "Commands:",
  ...commands.map(({ spec }) => `  ${spec.name.padEnd(9)} ${spec.summary}`),
  "",
  "`sync-scheduler <command> --help` lists a command's options; `--version` prints the version.",
  "",
].join("\n");

/** The package's version: package.json is one level up from src/cli.ts and from dist/cli.js alike. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = commands.find((c) => c.spec.name === name);
  if (command) return command.run(rest);
  switch (name) {
    case "--version":
    case "-v":
      process.stdout.write(`${version()}\n`);
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(usage);
      return name === undefined ? 2 : 0;
    default:
      process.stderr.write(`sync-scheduler: unknown command "${name}"\n\n${usage}`);
      return 2;
  }
}

process.exitCode = await main(process.argv.slice(2));
