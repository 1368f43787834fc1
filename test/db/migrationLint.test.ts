import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The migration check `npm run lint:migrations` (squawk with .squawk.toml, run by .ci/run): a new
// migration that takes a strong lock without lock_timeout and statement_timeout must fail it.
const repo = fileURLToPath(new URL("../../", import.meta.url));
const squawk = join(repo, "node_modules", ".bin", "squawk");

function check(...paths: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      squawk,
      ["--config", ".squawk.toml", "--reporter", "gcc", ...paths],
      { cwd: repo },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
      },
    );
  });
}

describe("migration check (squawk)", () => {
  let dir: string;
  const migration = async (name: string, sql: string) => {
    const file = join(dir, name);
    await writeFile(file, sql);
    return file;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "squawk-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("passes the repository's migrations", async () => {
    const result = await check("supabase/migrations/*.sql");
    expect(result).toEqual({ code: 0, output: expect.any(String) });
  });

  it("fails a new migration that drops an index or a trigger of an existing table without lock_timeout", async () => {
    const file = await migration(
      "20991231000000_forgot_timeouts.sql",
      `drop index if exists public.sync_run_log_org_history_idx;
       drop trigger if exists organization_integrations_validate on public.organization_integrations;\n`,
    );
    const result = await check(file);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("require-lock-timeout");
    expect(result.output).toContain("require-statement-timeout");
  });

  it("fails a new migration that sets lock_timeout but no statement_timeout", async () => {
    const file = await migration(
      "20991231000100_half_timeouts.sql",
      "set local lock_timeout = '5s';\nalter table public.sync_alerts add column note text;\n",
    );
    const result = await check(file);
    expect(result.code).not.toBe(0);
    expect(result.output).not.toContain("require-lock-timeout");
    expect(result.output).toContain("require-statement-timeout");
  });

  it("passes the same DDL once both timeouts are set first", async () => {
    const file = await migration(
      "20991231000200_with_timeouts.sql",
      `set local lock_timeout = '5s';
       set local statement_timeout = '5min';
       drop trigger if exists organization_integrations_validate on public.organization_integrations;
       alter table public.sync_alerts add column note text;\n`,
    );
    expect(await check(file)).toMatchObject({ code: 0 });
  });

  it("baselines only migrations that exist, and not the check's own", async () => {
    const config = await readFile(join(repo, ".squawk.toml"), "utf8");
    const baseline = [...config.matchAll(/"supabase\/migrations\/([^"]+)"/g)].map((m) => m[1]);
    const files = await readdir(join(repo, "supabase", "migrations"));
    expect(baseline.length).toBeGreaterThan(0);
    for (const name of baseline) expect(files).toContain(name);
    // The check's own migrations are checked in full, like every file added after it.
    expect(baseline).not.toContain("20261130100000_bounded_numbers.sql");
    expect(baseline).not.toContain("20261130100100_volume_indexes.sql");
  });
});
