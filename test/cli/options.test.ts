import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { migrateSpec } from "../../src/cli/migrate.ts";
import { commandHelp, flagOf, readOptions } from "../../src/cli/options.ts";
import { sandboxSpec } from "../../src/cli/sandbox.ts";
import { startSpec } from "../../src/cli/start.ts";
import { workerSpec } from "../../src/cli/worker.ts";
import { type WorkerConfig, workerConfigSchema, workerEnv } from "../../src/engine/config.ts";

const bin = fileURLToPath(new URL("../../bin/sync-scheduler.js", import.meta.url));
const DB_URL = "postgres://postgres@127.0.0.1:5432/postgres";

// A valid value for every worker option, none of them its default (so honouring it is observable).
const sample: Required<WorkerConfig> = {
  concurrency: 7,
  leaseSeconds: 90,
  heartbeatSeconds: 20,
  pollSeconds: 2.5,
  backoffBaseSeconds: 11,
  backoffCapSeconds: 1800,
  shutdownGraceSeconds: 12,
  schedulerSeconds: 7,
  schedulerBatch: 250,
  catchUpWindowSeconds: 3600,
  driftAlertSeconds: 120,
  healthIntervalSeconds: 1200,
  healthBackoffCapSeconds: 7200,
  healthCheckSeconds: 30,
  healthPingShare: 0.1,
  healthQuietSeconds: 7200,
  retentionDays: 30,
  alertRetentionDays: 60,
  healthRetentionDays: 14,
  sendDeadlineSeconds: 45,
  notifySeconds: 2,
  notifyBackoffBaseSeconds: 10,
  metricsPort: 9464,
};
const keys = Object.keys(workerConfigSchema.shape) as (keyof WorkerConfig)[];

describe("worker options: one source (workerConfigSchema + workerEnv)", () => {
  it("the sample and the environment names cover every option of the schema", () => {
    expect(Object.keys(sample).sort()).toEqual([...keys].sort());
    expect(Object.keys(workerEnv).sort()).toEqual([...keys].sort());
    const defaults = workerConfigSchema.parse({});
    for (const key of keys) expect(sample[key], key).not.toBe(defaults[key]);
  });

  it.each(keys)("%s is honoured from its flag", (key) => {
    const r = readOptions(workerSpec, ["--db-url", DB_URL, `--${flagOf(key)}`, String(sample[key])], {});
    if (!r.ok) throw new Error(r.stderr);
    expect(r.options[key]).toBe(sample[key]);
    expect(r.options.dbUrl).toBe(DB_URL);
  });

  it.each(keys)("%s is honoured from its environment variable", (key) => {
    const r = readOptions(workerSpec, [], { DATABASE_URL: DB_URL, [workerEnv[key]]: String(sample[key]) });
    if (!r.ok) throw new Error(r.stderr);
    expect(r.options[key]).toBe(sample[key]);
  });

  it("a flag wins over the environment", () => {
    const r = readOptions(workerSpec, ["--db-url", DB_URL, "--concurrency", "9"], {
      SYNC_WORKER_CONCURRENCY: "3",
    });
    expect(r.ok && r.options.concurrency).toBe(9);
  });

  it.each([
    ["SYNC_SCHEDULER_BATCH", "0", "--scheduler-batch"],
    ["SYNC_HEALTH_CHECK_SECONDS", "-5", "--health-check-seconds"],
    ["SYNC_CATCH_UP_WINDOW_SECONDS", "-1", "--catch-up-window-seconds"],
    ["SYNC_HEALTH_BACKOFF_CAP_SECONDS", "-1", "--health-backoff-cap-seconds"],
    ["SYNC_WORKER_CONCURRENCY", "lots", "--concurrency"],
    ["SYNC_METRICS_PORT", "70000", "--metrics-port"],
  ])("an invalid %s=%s is refused with the option's name", (variable, value, flag) => {
    const r = readOptions(workerSpec, [], { DATABASE_URL: DB_URL, [variable]: value });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${flag}: `);
    expect(r.stderr).toContain(`(from ${variable}=${value})`);
  });

  it("the schema's cross-field rule is reported under the option it names", () => {
    const r = readOptions(workerSpec, ["--lease-seconds", "20", "--heartbeat-seconds", "15"], {
      DATABASE_URL: DB_URL,
    });
    expect(!r.ok && r.stderr).toContain("--heartbeat-seconds: heartbeat must be at most half the lease");
  });

  it("an empty environment variable means not set", () => {
    const unset = readOptions(workerSpec, [], { DATABASE_URL: "" });
    expect(!unset.ok && unset.stderr).toContain("--db-url: required: pass --db-url or set DATABASE_URL");
    const defaults = readOptions(workerSpec, [], { DATABASE_URL: DB_URL, SYNC_LEASE_SECONDS: "" });
    expect(defaults.ok && defaults.options.leaseSeconds).toBe(60);
    const start = readOptions(startSpec, [], { DATABASE_URL: "", SYNC_PORT: "" });
    expect(start.ok && [start.options.dbUrl, start.options.port]).toEqual([undefined, 54321]);
  });

  it("--help lists every option with its flag, variable and default, from the schema", () => {
    const r = readOptions(workerSpec, ["--help"], {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(commandHelp(workerSpec));
    for (const key of keys) expect(r.stdout).toContain(`--${flagOf(key)} N  (${workerEnv[key]}`);
    expect(r.stdout).toContain("--lease-seconds N  (SYNC_LEASE_SECONDS; default 60; 5–3600)");
  });

  it("an unknown flag is refused with a pointer to --help", () => {
    const r = readOptions(workerSpec, ["--lease", "5"], {});
    expect(!r.ok && r.stderr).toContain("See `sync-scheduler worker --help`");
  });

  it("migrate takes a boolean flag and its cross-field rule", () => {
    const seeded = readOptions(migrateSpec, ["--data-dir", "/tmp/x", "--seed"], {});
    expect(seeded.ok && seeded.options).toEqual({ dataDir: "/tmp/x", seed: true });
    const none = readOptions(migrateSpec, [], { DATABASE_URL: "" });
    expect(!none.ok && none.stderr).toContain("--db-url: needs a database");
  });
});

describe("sync-scheduler (child process)", () => {
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [bin, ...args], {
      encoding: "utf8",
      env: { ...process.env, DATABASE_URL: "" },
    });

  it("--version prints package.json's version", () => {
    const version = (
      JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
    ).version;
    const r = run("--version");
    expect([r.status, r.stdout]).toEqual([0, `${version}\n`]);
  });

  it.each([startSpec, migrateSpec, workerSpec, sandboxSpec])("$name --help prints its options", (spec) => {
    const r = run(spec.name, "--help");
    expect([r.status, r.stdout]).toEqual([0, commandHelp(spec)]);
  });

  it("--help lists every command", () => {
    const r = run("--help");
    expect(r.status).toBe(0);
    for (const spec of [startSpec, migrateSpec, workerSpec, sandboxSpec]) {
      expect(r.stdout).toContain(`  ${spec.name.padEnd(9)} ${spec.summary}`);
    }
  });

  it("worker refuses an invalid environment value by name instead of starting on the defaults", () => {
    const r = spawnSync(process.execPath, [bin, "worker", "--db-url", DB_URL], {
      encoding: "utf8",
      env: { ...process.env, SYNC_SCHEDULER_BATCH: "0" },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--scheduler-batch: Too small");
    expect(r.stderr).toContain("(from SYNC_SCHEDULER_BATCH=0)");
  });
});
