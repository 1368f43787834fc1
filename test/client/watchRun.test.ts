import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SyncRun, SyncSchedulerRepository, type WatchMode } from "../../src/client/index.ts";
import { DEMO, type GatewayHarness, openGatewayHarness } from "../gateway/harness.ts";
import { testDbKinds } from "../helpers/db.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { ClientPool, DeadWebSocket, type RecordedRequest, recordingFetch } from "./clients.ts";

// The gateway alone (no worker): the test plays the engine with SQL, so every transition is
// made exactly when the test says.
describe.each(testDbKinds())("watchRun on %s", (kind) => {
  let h: GatewayHarness;
  let pool: ClientPool;
  const integrations = ["xledger", "dynamics"] as const;
  let next = 0;

  beforeAll(async () => {
    h = await openGatewayHarness(kind);
    pool = new ClientPool(h.gw.url, h.gw.anonKey);
  });
  afterAll(async () => {
    await pool?.close();
    await h?.close();
  });

  /** A fresh pending run; the rate limit is 5 min per (org, type), so each test clears the audit's trace. */
  async function pendingRun(repo: SyncSchedulerRepository): Promise<string> {
    const type = integrations[next++ % 2] ?? "xledger";
    await h.t.db.query(
      "update public.sync_run_log set status = 'cancelled', finished_at = now() where org_id = $1 and status in ('pending','running')",
      [DEMO.orgId],
    );
    await h.t.db.query("alter table public.sync_trigger_audit disable trigger user");
    await h.t.db.query("delete from public.sync_trigger_audit");
    await h.t.db.query("alter table public.sync_trigger_audit enable trigger user");
    return repo.triggerManualSync(DEMO.orgId, type);
  }
  const setRunning = (id: string) =>
    h.t.db.query(
      "update public.sync_run_log set status = 'running', started_at = now(), attempt = 1 where id = $1",
      [id],
    );
  const setProgress = (id: string, n: number) =>
    h.t.db.query("update public.sync_run_log set records_exported = $2 where id = $1", [id, n]);
  const setSucceeded = (id: string, n: number) =>
    h.t.db.query(
      "update public.sync_run_log set status = 'succeeded', finished_at = now(), records_exported = $2 where id = $1",
      [id, n],
    );

  it("re-reads the row once the channel is SUBSCRIBED, so a change made before the watch is not lost, and stops at a terminal status", async () => {
    const requests: RecordedRequest[] = [];
    const client = await pool.signedIn(DEMO.coordinator, { fetch: recordingFetch(requests) });
    const repo = new SyncSchedulerRepository(client);
    const runId = await pendingRun(repo);
    await setRunning(runId);
    await setSucceeded(runId, 12);

    const seen: SyncRun[] = [];
    const modes: WatchMode[] = [];
    const marks: string[] = [];
    requests.length = 0;
    repo.watchRun(runId, (run) => seen.push(run), {
      onModeChange: (m) => {
        modes.push(m);
        marks.push(`mode:${m}@${requests.length}`);
      },
    });
    const final = await waitFor(() => seen.find((r) => r.status === "succeeded"), { what: "succeeded" });
    expect(final.recordsExported).toBe(12);
    expect(modes).toEqual(["connecting", "realtime"]);
    // The only read of the run came after the channel was live.
    const reads = requests.filter((r) => r.url.pathname === "/rest/v1/sync_run_log");
    expect(reads).toHaveLength(1);
    expect(reads[0]?.url.searchParams.get("id")).toBe(`eq.${runId}`);
    expect(marks).toEqual(["mode:connecting@0", "mode:realtime@0"]);
    await waitFor(() => client.getChannels().length === 0, {
      what: "channel removed at the terminal status",
    });
    expect(seen).toHaveLength(1);
  });

  it("delivers live changes over Realtime in order, each once, without polling", async () => {
    const requests: RecordedRequest[] = [];
    const client = await pool.signedIn(DEMO.coordinator, { fetch: recordingFetch(requests) });
    const repo = new SyncSchedulerRepository(client);
    const runId = await pendingRun(repo);
    const seen: SyncRun[] = [];
    const modes: WatchMode[] = [];
    repo.watchRun(runId, (run) => seen.push(run), { onModeChange: (m) => modes.push(m), pollIntervalMs: 5 });
    await waitFor(() => seen[0], { what: "the re-read after subscribing" });
    expect(seen[0]?.status).toBe("pending");

    await setRunning(runId);
    await waitFor(() => seen.find((r) => r.status === "running"), { what: "running" });
    await setProgress(runId, 5);
    await waitFor(() => seen.find((r) => r.recordsExported === 5), { what: "progress" });
    await setSucceeded(runId, 9);
    await waitFor(() => seen.find((r) => r.status === "succeeded"), { what: "succeeded" });
    expect(seen.map((r) => [r.status, r.recordsExported])).toEqual([
      ["pending", 0],
      ["running", 0],
      ["running", 5],
      ["succeeded", 9],
    ]);
    expect(modes).toEqual(["connecting", "realtime"]);
    expect(requests.filter((r) => r.url.pathname === "/rest/v1/sync_run_log")).toHaveLength(1);
    await waitFor(() => client.getChannels().length === 0, { what: "channel removed" });
  });

  it("falls back to polling with backoff when the channel errors, and stops polling at the terminal status", async () => {
    const requests: RecordedRequest[] = [];
    const client = await pool.signedIn(DEMO.coordinator, {
      fetch: recordingFetch(requests),
      transport: DeadWebSocket,
    });
    const repo = new SyncSchedulerRepository(client);
    const runId = await pendingRun(repo);
    const seen: SyncRun[] = [];
    const modes: WatchMode[] = [];
    const stop = repo.watchRun(runId, (run) => seen.push(run), {
      onModeChange: (m) => modes.push(m),
      pollIntervalMs: 10,
      maxPollIntervalMs: 40,
    });
    await waitFor(() => seen[0], { what: "first poll" });
    expect(modes).toEqual(["connecting", "polling"]);
    const reads = () => requests.filter((r) => r.url.pathname === "/rest/v1/sync_run_log").length;
    // Unchanged polls keep coming (backing off to 40 ms), so a change is picked up.
    await waitFor(() => reads() >= 4, { what: "repeated polls" });
    await setRunning(runId);
    await waitFor(() => seen.find((r) => r.status === "running"), { what: "running by polling" });
    await setSucceeded(runId, 3);
    await waitFor(() => seen.find((r) => r.status === "succeeded"), { what: "succeeded by polling" });
    const afterStop = reads();
    // Bounded wait long enough for several 40 ms polls had polling continued.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reads()).toBe(afterStop);
    expect(seen.map((r) => r.status)).toEqual(["pending", "running", "succeeded"]);
    stop();
  });

  it("an explicit stop ends the watch before the run finishes", async () => {
    const client = await pool.signedIn(DEMO.coordinator);
    const repo = new SyncSchedulerRepository(client);
    const runId = await pendingRun(repo);
    const seen: SyncRun[] = [];
    const stop = repo.watchRun(runId, (run) => seen.push(run));
    await waitFor(() => seen[0], { what: "re-read" });
    stop();
    await waitFor(() => client.getChannels().length === 0, { what: "channel removed" });
    await setRunning(runId);
    // A change after stop must not arrive: wait for a later change seen by a second watcher.
    const other: SyncRun[] = [];
    repo.watchRun(runId, (run) => other.push(run));
    await waitFor(() => other.find((r) => r.status === "running"), { what: "second watcher" });
    expect(seen.map((r) => r.status)).toEqual(["pending"]);
  });
});
