import { execFile, execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const BIN = "/usr/lib/postgresql/15/bin";

/**
 * A throwaway PostgreSQL 15 cluster the chaos suite can restart without disturbing the machine's
 * own server (initdb → ready ≈ 0.6 s here). PostgreSQL refuses to run as root, so the data
 * directory belongs to `postgres` and commands run through runuser.
 */
export class ThrowawayCluster {
  readonly dir: string;
  readonly url: string;
  constructor(readonly port: number) {
    this.dir = mkdtempSync(join(tmpdir(), "chaos-pg-"));
    chownSync(this.dir, uidOf("postgres"), gidOf("postgres"));
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }
  // Asynchronous, so the test process (which also serves the sandbox) keeps answering while
  // PostgreSQL stops and starts. The server's output goes to the log file, never to our pipes:
  // a postmaster holding an inherited pipe would keep the command from ever completing.
  async #pg(...args: string[]): Promise<void> {
    await promisify(execFile)("runuser", ["-u", "postgres", "--", ...args]);
  }
  init(): Promise<void> {
    return this.#pg(`${BIN}/initdb`, "-D", this.dir, "--auth=trust", "--no-sync", "-U", "postgres");
  }
  start(): Promise<void> {
    return this.#pg(
      `${BIN}/pg_ctl`,
      "-D",
      this.dir,
      "-o",
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=200`,
      "-l",
      join(this.dir, "log"),
      "-w",
      "start",
    );
  }
  /** A fast restart: every connection is dropped, in-flight transactions roll back. */
  restart(): Promise<void> {
    // `restart` does not remember -l: without it the new postmaster would log to our stdout.
    return this.#pg(
      `${BIN}/pg_ctl`,
      "-D",
      this.dir,
      "-l",
      join(this.dir, "log"),
      "-m",
      "fast",
      "-w",
      "restart",
    );
  }
  stop(): void {
    try {
      execFileSync(
        "runuser",
        ["-u", "postgres", "--", `${BIN}/pg_ctl`, "-D", this.dir, "-m", "immediate", "-w", "stop"],
        {
          stdio: "ignore",
        },
      );
    } catch {
      // already down
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function uidOf(user: string): number {
  return Number(execFileSync("id", ["-u", user]).toString().trim());
}
function gidOf(user: string): number {
  return Number(execFileSync("id", ["-g", user]).toString().trim());
}
