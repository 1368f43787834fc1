import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser (`supabase_admin`) URL of the Supabase-laid-out cluster, "" when skipped. */
    supabaseAdminUrl: string;
    /** The project's own login (`postgres`, not a superuser there), "" when skipped. */
    supabaseDbUrl: string;
    /** Why the suite is skipped (vendored sources absent), "" when it runs. */
    supabaseSkipReason: string;
  }
}

const repo = resolve(import.meta.dirname, "..", "..");
const script = join(repo, "scripts", "supabase-postgres.sh");

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(script, args, { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d;
    });
    child.once("error", fail);
    child.once("close", (code) => done({ code: code ?? 1, stdout, stderr }));
  });
}

/**
 * Starts one Supabase-laid-out cluster for the run (scripts/supabase-postgres.sh), or uses the one
 * named by SUPABASE_ADMIN_URL + SUPABASE_DB_URL (a cluster you started yourself, for quick reruns).
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const given = process.env.SUPABASE_ADMIN_URL && process.env.SUPABASE_DB_URL;
  if (given) {
    project.provide("supabaseAdminUrl", process.env.SUPABASE_ADMIN_URL as string);
    project.provide("supabaseDbUrl", process.env.SUPABASE_DB_URL as string);
    project.provide("supabaseSkipReason", "");
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), "sync-supabase-pg-"));
  const started = await run(["start", dir]);
  if (started.code === 3) {
    const reason = started.stderr.trim().split("\n").at(-1) ?? "vendored sources missing";
    console.warn(
      `\n${"!".repeat(100)}\n!! SKIPPING the Supabase deployment suite: ${reason}\n${"!".repeat(100)}\n`,
    );
    project.provide("supabaseAdminUrl", "");
    project.provide("supabaseDbUrl", "");
    project.provide("supabaseSkipReason", reason);
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
  if (started.code !== 0) {
    await run(["stop", dir]);
    throw new Error(`scripts/supabase-postgres.sh start failed (${started.code}):\n${started.stderr}`);
  }
  const vars = Object.fromEntries(
    started.stdout
      .trim()
      .split("\n")
      .map((line) => line.split("=", 2) as [string, string]),
  );
  project.provide("supabaseAdminUrl", vars.SUPABASE_ADMIN_URL as string);
  project.provide("supabaseDbUrl", vars.SUPABASE_DB_URL as string);
  project.provide("supabaseSkipReason", "");
  return async () => {
    await run(["stop", dir]);
    await rm(dir, { recursive: true, force: true });
  };
}
