import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(import.meta.dirname, "..", "..");
const deno = join(repo, "node_modules", ".bin", "deno");

/** One JSON log line of the function (createJsonLogger's shape). */
export interface FunctionLogLine {
  level: string;
  time: string;
  event?: string;
  [key: string]: unknown;
}

/** A free loopback port (kept across restarts of the function: the dispatch URL names it). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer().once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const address = s.address();
      s.close(() => done(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/**
 * The sync-worker Edge Function as `supabase functions deploy` ships it: `supabase/` is copied to a
 * temporary directory and the function is served from there by real Deno — nothing outside the copy
 * is reachable (the repository's src/ is not next to it), so a missing `_shared/` file fails here.
 * DENO_DIR points at the repository's cache only to avoid re-downloading npm packages.
 */
export class DeployedFunction {
  readonly lines: FunctionLogLine[] = [];
  #child: ChildProcess | null = null;
  #dir = "";

  private constructor(
    readonly port: number,
    readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/functions/v1/sync-worker`;
  }

  static async deploy(port: number, env: Record<string, string>): Promise<DeployedFunction> {
    const fn = new DeployedFunction(port, env);
    fn.#dir = await mkdtemp(join(tmpdir(), "sync-deployed-"));
    await cp(join(repo, "supabase"), join(fn.#dir, "supabase"), { recursive: true });
    return fn;
  }

  /** Starts Deno on the copy; resolves once it listens. */
  async start(): Promise<void> {
    const fnDir = join(this.#dir, "supabase", "functions", "sync-worker");
    const child = spawn(
      deno,
      ["run", "--allow-all", "--config", join(fnDir, "deno.json"), join(fnDir, "index.ts")],
      {
        cwd: this.#dir,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: this.#dir,
          DENO_DIR: process.env.DENO_DIR ?? join(repo, ".deno"),
          NO_COLOR: "1",
          DENO_SERVE_ADDRESS: `tcp:127.0.0.1:${this.port}`,
          ...this.env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.#child = child;
    let partial = "";
    child.stdout?.on("data", (d: Buffer) => {
      partial += d;
      const parts = partial.split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts)
        if (line.startsWith("{")) this.lines.push(JSON.parse(line) as FunctionLogLine);
    });
    let stderr = "";
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`the function did not start within 120 s:\n${stderr}`)),
        120_000,
      );
      child.stderr?.on("data", (d: Buffer) => {
        stderr += d;
        if (/Listening on http:\/\/127\.0\.0\.1:\d+/.test(stderr)) {
          clearTimeout(timer);
          done();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        fail(new Error(`the function exited (${code}) before listening:\n${stderr}`));
      });
    });
  }

  /** Stops the function (SIGTERM, then SIGKILL after 5 s). */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }

  async remove(): Promise<void> {
    await this.stop();
    await rm(this.#dir, { recursive: true, force: true });
  }

  events(name: string): FunctionLogLine[] {
    return this.lines.filter((l) => l.event === name);
  }
}
