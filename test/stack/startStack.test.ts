import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { type Stack, startStack } from "../../src/local/stack/startStack.ts";
import { waitFor } from "../helpers/waitFor.ts";

const DEMO_ORG = "d0000000-0000-4000-8000-000000000001";
const bin = fileURLToPath(new URL("../../bin/sync-scheduler.js", import.meta.url));
const webBuild = fileURLToPath(new URL("../../web/dist/index.html", import.meta.url));

describe("the embedded stack (PGlite in memory)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ port: 0, inMemory: true, log: silentLogger, worker: { pollSeconds: 0.5 } });
  });
  afterAll(() => stack.close());

  it("lets a coordinator trigger a sync with supabase-js and watch it succeed over Realtime", async () => {
    const supabase = createClient(stack.url, stack.anonKey, {
      auth: { persistSession: false },
      realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
    });
    const { error: signInError } = await supabase.auth.signInWithPassword({
      email: "coordinator@demo.test",
      password: "demo-password",
    });
    expect(signInError).toBeNull();
    // Subscribe first (to the org's runs, RLS-filtered), then trigger: no update can be missed.
    const updates: Array<{ id: string; status: string }> = [];
    const channel = supabase
      .channel("org-runs")
      .on("postgres_changes", { event: "UPDATE", schema: "public", table: "sync_run_log" }, (p) =>
        updates.push(p.new as { id: string; status: string }),
      );
    await new Promise<void>((resolve) => channel.subscribe((s) => s === "SUBSCRIBED" && resolve()));
    const { data: runId, error } = await supabase.rpc("trigger_integration_sync", {
      org_id: DEMO_ORG,
      integration_type: "dynamics",
    });
    expect(error).toBeNull();
    const statuses = () => updates.filter((u) => u.id === runId).map((u) => u.status);
    const { data: row } = await waitFor(
      async () =>
        await supabase.from("sync_run_log").select("status, records_exported").eq("id", runId).single(),
      { until: (r) => r.data?.status === "succeeded" || r.data?.status === "failed" },
    );
    expect(row).toEqual({ status: "succeeded", records_exported: 12 });
    const seen = await waitFor(statuses, { until: (s) => s.includes("succeeded") });
    // Claimed, progress updates while running (one per batch), then the final state.
    expect(seen[0]).toBe("running");
    expect(seen.at(-1)).toBe("succeeded");
    await supabase.removeAllChannels();
    const received = stack.sandbox.state().dynamics.received;
    expect(Object.keys(received)).toHaveLength(12);
    expect(Object.values(received).every((n) => n === 1)).toBe(true);
  });

  it("serves the dashboard's runtime config (the anon key for this JWT secret)", async () => {
    const res = await fetch(`${stack.url}/config.json`);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ anonKey: stack.anonKey });
  });

  it("serves a dashboard only from a real build, and says whether it does", async () => {
    const empty = await mkdtemp(join(tmpdir(), "no-dashboard-"));
    const built = await mkdtemp(join(tmpdir(), "dashboard-"));
    await writeFile(join(built, "index.html"), '<!doctype html><div id="root"></div>');
    for (const [staticDir, dashboard, status] of [
      [empty, false, 404],
      [built, true, 200],
    ] as const) {
      const s = await startStack({ port: 0, inMemory: true, log: silentLogger, staticDir });
      try {
        expect(s.dashboard).toBe(dashboard);
        expect((await fetch(`${s.url}/`)).status).toBe(status);
      } finally {
        await s.close();
      }
    }
    await Promise.all([rm(empty, { recursive: true }), rm(built, { recursive: true })]);
    // Two in-memory stacks (PGlite cold start ≈ 3 s each, several times that on a loaded machine).
  }, 120_000);

  it("refuses a non-loopback bind with the default JWT secret", async () => {
    await expect(startStack({ port: 0, host: "0.0.0.0", inMemory: true, log: silentLogger })).rejects.toThrow(
      /default JWT secret/,
    );
  });
});

describe("sync-scheduler start (child process)", () => {
  it("prints the URL, anon key and demo users, persists its data dir, and stops cleanly on Ctrl-C", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "sync-start-"));
    // The embedded default, as `npm start` runs it: without DATABASE_URL (the suite's own, when set,
    // would make `start` use that PostgreSQL database instead of PGlite in the data dir).
    // LOG_LEVEL=info: the JSON event lines show whether the seed ran.
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "info" };
    delete env.DATABASE_URL;
    let coldRunId: string | null = null;
    for (const round of ["cold", "warm"]) {
      const proc = spawn(process.execPath, [bin, "start", "--port", "0", "--data-dir", dataDir], {
        stdio: ["ignore", "pipe", "inherit"],
        env,
      });
      let out = "";
      proc.stdout?.on("data", (c: Buffer) => {
        out += c.toString();
      });
      const exited = new Promise<number | null>((resolve) => proc.on("exit", resolve));
      await waitFor(() => out, { until: (o) => o.includes("Press Ctrl-C to stop."), timeoutMs: 60_000 });
      const url = /API \(Supabase\)\s+(http:\/\/127\.0\.0\.1:\d+)\s/.exec(out)?.[1];
      expect(url, round).toBeDefined();
      // The dashboard line is a URL that answers the page when there is a build, else how to make one.
      if (existsSync(webBuild)) {
        expect(out).toContain(`Dashboard      ${url}/\n`);
        const page = await fetch(`${url}/`);
        expect([page.status, await page.text()]).toEqual([200, expect.stringContaining('<div id="root">')]);
      } else {
        expect(out).toContain("Dashboard      not built in this checkout: run `npm run build:web`");
        expect(out).not.toMatch(/Dashboard\s+http/);
      }
      expect(out).toMatch(/anon key\s+eyJ/);
      expect(out).toContain("coordinator@demo.test");
      expect(out).toContain(`PGlite in ${dataDir}/pgdata`);
      // The seed runs on the new database only; the warm start finds the demo org and skips it.
      expect(out.includes('"event":"seed_applied"'), round).toBe(round === "cold");
      const state = await fetch(`${url}/__sandbox/state`);
      expect(state.status).toBe(200);
      // As a new user would: supabase-js against the printed URL and anon key.
      const anonKey = /anon key\s+(\S+)/.exec(out)?.[1] as string;
      const supabase = createClient(url as string, anonKey, {
        auth: { persistSession: false },
        realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
      });
      await supabase.auth.signInWithPassword({ email: "coordinator@demo.test", password: "demo-password" });
      if (round === "warm") {
        // The cold round's run is still there: the data dir persisted.
        const { data } = await supabase.from("sync_run_log").select("status").eq("id", coldRunId).single();
        expect(data?.status).toBe("succeeded");
      }
      if (round === "cold") {
        const { data: runId, error } = await supabase.rpc("trigger_integration_sync", {
          org_id: DEMO_ORG,
          integration_type: "xledger",
        });
        expect(error).toBeNull();
        const run = await waitFor(
          async () => (await supabase.from("sync_run_log").select("status").eq("id", runId).single()).data,
          { until: (r) => r?.status === "succeeded" || r?.status === "failed", timeoutMs: 60_000 },
        );
        expect(run?.status).toBe("succeeded");
        coldRunId = runId as string;
      }
      proc.kill("SIGINT");
      expect(await exited).toBe(0);
    }
    // Two cold starts of a child process (PGlite's first open of an empty data dir ≈ 4 s, then a
    // migrate and a sync each): 30 s was too little on a loaded 2-core machine.
  }, 120_000);
});
