import { readFileSync } from "node:fs";
import { migrateCommand, migrateSpec } from "./cli/migrate.ts";
import type { CommandSpec } from "./cli/options.ts";
import { sandboxCommand, sandboxSpec } from "./cli/sandbox.ts";
import { startCommand, startSpec } from "./cli/start.ts";
import { workerCommand, workerSpec } from "./cli/worker.ts";

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
