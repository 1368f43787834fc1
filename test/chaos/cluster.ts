import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
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
  #port = 0;
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "chaos-pg-"));
    chownSync(this.dir, uidOf("postgres"), gidOf("postgres"));
  }
  /** Known once start() has succeeded: the port is chosen there, free at that moment. */
  get url(): string {
    if (!this.#port) throw new Error("ThrowawayCluster: url read before start()");
    return `postgres://postgres@127.0.0.1:${this.#port}/postgres`;
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
  /**
   * Starts the server on a port the kernel reports free. A CI run once failed here with only
   * "could not start server" (a random port, no log shown): the port is now checked, a failed
   * start is tried again on another port (3 tries), and the error carries the server's log.
   */
  async start(): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      try {
        await this.#pg(
          `${BIN}/pg_ctl`,
          "-D",
          this.dir,
          "-o",
          `-p ${port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=200`,
          "-l",
          this.#logFile,
          "-w",
          "start",
        );
        this.#port = port;
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`throwaway cluster did not start (3 ports tried); its log:\n${this.#logTail()}`, {
      cause: lastError,
    });
  }
  get #logFile(): string {
    return join(this.dir, "log");
  }
  #logTail(): string {
    if (!existsSync(this.#logFile)) return "(no log written)";
    return readFileSync(this.#logFile, "utf8").split("\n").slice(-30).join("\n");
  }
  /** A fast restart: every connection is dropped, in-flight transactions roll back. */
  restart(): Promise<void> {
    // `restart` does not remember -l: without it the new postmaster would log to our stdout.
    return this.#pg(`${BIN}/pg_ctl`, "-D", this.dir, "-l", this.#logFile, "-m", "fast", "-w", "restart");
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

/**
 * A port nothing listens on right now, below the kernel's ephemeral range (32768–60999 here):
 * during the restart the port has no listener, and an outbound connection's ephemeral port must
 * not be able to take it.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

function uidOf(user: string): number {
  return Number(execFileSync("id", ["-u", user]).toString().trim());
}
function gidOf(user: string): number {
  return Number(execFileSync("id", ["-g", user]).toString().trim());
}
