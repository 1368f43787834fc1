import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import type { EngineLogger } from "../../src/engine/observe/logger.ts";
import { Worker } from "../../src/engine/run/worker.ts";
import { schedulerTick } from "../../src/engine/schedule/scheduler.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { addIntegration, createOrg } from "../helpers/fixtures.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { recordingExecutor } from "./testExecutors.ts";

const DAY_MS = 86_400_000;

/** A logger that keeps every line, to show which events a worker did (not) log. */
function capturingLogger() {
  const lines: Array<{ level: string; event?: string; [k: string]: unknown }> = [];
  const at =
    (level: string) =>
    (obj: object): void => {
      lines.push({ level, ...(obj as Record<string, unknown>) });
    };
  const log: EngineLogger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: () => log,
  };
  return { log, lines };
}

describe.each(testDbKinds())("one bad row never stops the queue, on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  const workers: Worker[] = [];
  const cleanups: string[] = [];

  const run = async (id: string) =>
    (
      await db.query<{ status: string; drift_ms: string | number | null; error_code: string | null }>(
        "select status, drift_ms, error_code from public.sync_run_log where id = $1",
        [id],
      )
    ).rows[0];
  /** A pending run inserted directly, as a month-old backlog would look. */
  const pendingRun = async (integrationId: string, dueAgoMs: number, scheduled: boolean) => {
    const { rows } = await db.query<{ id: string }>(
      `insert into public.sync_run_log (org_id, integration_id, integration_type, triggered_by, triggered_by_user_id,
         scheduled_for, run_after, triggered_at)
       select i.org_id, i.id, i.integration_type, $2, null,
         case when $2 = 'scheduled' then now() - make_interval(secs => $3::float8 / 1000) end,
         now() - make_interval(secs => $3::float8 / 1000), now() - make_interval(secs => $3::float8 / 1000)
       from public.organization_integrations i where i.id = $1
       returning id`,
      [integrationId, scheduled ? "scheduled" : "manual", dueAgoMs],
    );
    return (rows[0] as { id: string }).id;
  };
  const startWorker = async (log: EngineLogger) => {
    const w = new Worker({
      db,
      scheduler: false,
      executor: recordingExecutor().executor,
      config: {
        pollSeconds: 0.1,
        heartbeatSeconds: 1,
        leaseSeconds: 5,
        schedulerSeconds: 300,
        concurrency: 4,
      },
      log,
    });
    workers.push(w);
    await w.start();
    return w;
  };

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await db.query(
      "update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running')",
    );
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop(0)));
    for (const sql of cleanups.splice(0)) await db.exec(sql);
  });

  it("claims a run due 30 days ago and a fresh run of another org with one worker; the drift (≈ 30 days) is recorded and alerted", async () => {
    const oldOrg = await createOrg(db, "Paused for a month");
    const freshOrg = await createOrg(db, "Fresh");
    const oldRun = await pendingRun(await addIntegration(db, oldOrg, "xledger"), 30 * DAY_MS, true);
    const freshRun = await pendingRun(await addIntegration(db, freshOrg, "xledger"), 0, false);
    const { log, lines } = capturingLogger();
    await startWorker(log);

    await waitFor(async () => [await run(oldRun), await run(freshRun)], {
      until: (rs) => rs.every((r) => r?.status === "succeeded"),
    });
    const drift = Number((await run(oldRun))?.drift_ms);
    // 30 days = 2,592,000,000 ms: past the 2^31 − 1 an integer column held.
    expect(drift).toBeGreaterThan(30 * DAY_MS - 60_000);
    expect(drift).toBeLessThan(30 * DAY_MS + 60_000);
    const { rows: alerts } = await db.query<{ kind: string; details: { drift_ms: number } }>(
      "select kind, details from public.sync_alerts where run_id = $1",
      [oldRun],
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.kind).toBe("drift");
    expect(Number(alerts[0]?.details.drift_ms)).toBe(drift);
    expect(lines).toContainEqual(expect.objectContaining({ event: "drift_alert", run_id: oldRun }));
    expect(lines.filter((l) => l.level === "error")).toEqual([]);
  });

  it("parks a run the claim cannot process (coded error, critical alert) and runs the rest of the batch", async () => {
    const orgs = [await createOrg(db, "Broken"), await createOrg(db, "A"), await createOrg(db, "B")];
    const ids: string[] = [];
    // The broken run is the oldest, so it is in every claim batch (the shape of the drift bug).
    ids.push(await pendingRun(await addIntegration(db, orgs[0] as string, "xledger"), 60_000, false));
    ids.push(await pendingRun(await addIntegration(db, orgs[1] as string, "xledger"), 1000, false));
    ids.push(await pendingRun(await addIntegration(db, orgs[2] as string, "dynamics"), 0, false));
    const broken = ids[0] as string;
    // Stands in for any defect a row can carry: the row raises when it is claimed.
    await db.exec(`
      create function public.test_broken_row() returns trigger language plpgsql as $$
      begin raise exception 'this row is broken' using errcode = '22023'; end $$;
      create trigger test_broken_row before update on public.sync_run_log for each row
        when (new.id = '${broken}'::uuid and new.status = 'running') execute function public.test_broken_row();`);
    cleanups.push(
      "drop trigger test_broken_row on public.sync_run_log; drop function public.test_broken_row()",
    );
    const { log, lines } = capturingLogger();
    await startWorker(log);

    await waitFor(async () => Promise.all(ids.slice(1).map(run)), {
      until: (rs) => rs.every((r) => r?.status === "succeeded"),
    });
    expect(await run(broken)).toMatchObject({ status: "failed", error_code: "run_unprocessable" });
    const { rows: alerts } = await db.query<{ kind: string; severity: string; details: { error: string } }>(
      "select kind, severity, details from public.sync_alerts where run_id = $1",
      [broken],
    );
    expect(alerts).toEqual([
      expect.objectContaining({ kind: "parked", severity: "critical", details: expect.any(Object) }),
    ]);
    expect(alerts[0]?.details.error).toContain("this row is broken");
    expect(lines.filter((l) => l.event === "poll_failed")).toEqual([]);
  });

  it.each([
    ["on time (the bulk path)", 0],
    ["3 minutes late (the one-by-one path: missed periods)", 3],
  ])(
    "a scheduler batch with one integration that cannot be stepped parks it and enqueues the others, %s",
    async (_, late) => {
      await db.query("update public.organization_integrations set schedule_cron = null");
      // The latest period due on this minute's boundary, the tick inside the minute; `late` minutes
      // behind, the plan also has missed periods, which sends it down the one-by-one path (whose
      // rolled-back batch used to count its runs as enqueued anyway).
      const now = new Date();
      const boundary = Math.floor(now.getTime() / 60_000) * 60_000;
      const due = new Date(boundary - late * 60_000);
      const integrations: string[] = [];
      for (let i = 0; i < 3; i++) {
        const id = await addIntegration(db, await createOrg(db, `Scheduled ${i}`), "xledger");
        await db.query(
          "update public.organization_integrations set schedule_cron = '* * * * *' where id = $1",
          [id],
        );
        await db.query("update public.organization_integrations set next_run_at = $2 where id = $1", [
          id,
          due,
        ]);
        integrations.push(id);
      }
      const broken = integrations[1] as string;
      await db.exec(`
      create function public.test_broken_schedule() returns trigger language plpgsql as $$
      begin raise exception 'cannot insert a run for this integration'; end $$;
      create trigger test_broken_schedule before insert on public.sync_run_log for each row
        when (new.integration_id = '${broken}'::uuid) execute function public.test_broken_schedule();`);
      cleanups.push(
        "drop trigger test_broken_schedule on public.sync_run_log; drop function public.test_broken_schedule()",
      );
      const { log, lines } = capturingLogger();

      const result = await schedulerTick(db, now, { schedulerBatch: 500, catchUpWindowSeconds: 86_400 }, log);

      expect(result.enqueued).toBe(2);
      const { rows } = await db.query<{ id: string; next_run_at: Date | number; runs: number }>(
        `select i.id, i.next_run_at,
              (select count(*)::int from public.sync_run_log r
               where r.integration_id = i.id and r.status <> 'skipped') as runs
       from public.organization_integrations i where i.id = any ($1::uuid[])`,
        [integrations],
      );
      for (const row of rows) {
        if (row.id === broken) {
          expect(row).toMatchObject({ next_run_at: Number.POSITIVE_INFINITY, runs: 0 });
        } else {
          expect(row.runs).toBe(1);
          expect((row.next_run_at as Date).getTime()).toBe(boundary + 60_000);
        }
      }
      const { rows: alerts } = await db.query<{
        kind: string;
        severity: string;
        details: { error_code: string };
      }>("select kind, severity, details from public.sync_alerts where integration_id = $1", [broken]);
      expect(alerts).toEqual([
        expect.objectContaining({
          kind: "parked",
          severity: "critical",
          details: expect.objectContaining({ error_code: "schedule_unprocessable" }),
        }),
      ]);
      expect(lines).toContainEqual(
        expect.objectContaining({ event: "schedule_unprocessable", integration_id: broken }),
      );
      // Editing the schedule unparks it (the table's trigger resets next_run_at).
      await db.query(
        "update public.organization_integrations set schedule_cron = '*/5 * * * *' where id = $1",
        [broken],
      );
      const { rows: after } = await db.query<{ n: Date | null }>(
        "select next_run_at as n from public.organization_integrations where id = $1",
        [broken],
      );
      expect(after[0]?.n).toBeNull();
      await db.query("update public.organization_integrations set schedule_cron = null");
    },
  );
});
