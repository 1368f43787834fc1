// Over 300 lines: pg_net/pg_cron dispatch cases on one database with the stand-in net schema.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { actAs, anon, type Identity, serviceRole, user } from "../helpers/actAs.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";
import { addIntegration, countRows, createOrg } from "../helpers/fixtures.ts";

const URL_ = "https://project-ref.supabase.co/functions/v1/sync-worker";

// Stand-ins with the real signatures: pg_net has no Debian package and neither extension builds
// for PGlite. cron.schedule upserts by (jobname, username) and cron.unschedule raises for an
// unknown name, as pg_cron does (pg_cron README, https://github.com/citusdata/pg_cron).
const PG_NET = `
  create schema net;
  create table net.calls (id bigserial primary key, url text, body jsonb, headers jsonb, timeout_ms int);
  create function net.http_post(url text, body jsonb default '{}', params jsonb default '{}',
    headers jsonb default '{}', timeout_milliseconds integer default 5000) returns bigint
  language sql as $$ insert into net.calls (url, body, headers, timeout_ms)
    values (url, body, headers, timeout_milliseconds) returning id $$;`;
const PG_CRON = `
  create schema cron;
  create table cron.job (jobid bigserial primary key, schedule text not null, command text not null,
    username text not null default current_user, jobname text, unique (jobname, username));
  create function cron.schedule(job_name text, schedule text, command text) returns bigint
  language sql as $$ insert into cron.job (jobname, schedule, command) values (job_name, schedule, command)
    on conflict (jobname, username) do update set schedule = excluded.schedule, command = excluded.command
    returning jobid $$;
  create function cron.unschedule(job_name text) returns boolean language plpgsql as $$
  begin
    delete from cron.job j where j.jobname = job_name and j.username = current_user;
    if not found then raise exception 'could not find valid entry for job ''%''', job_name; end if;
    return true;
  end $$;`;
// supabase_vault 0.3's shape (as in export_pipeline.test.ts).
const VAULT = `
  create schema vault;
  create table vault.secrets (id uuid primary key default gen_random_uuid(), name text unique,
    description text not null default '', secret text not null);
  create view vault.decrypted_secrets as
    select s.*, convert_from(decode(s.secret, 'base64'), 'utf8') as decrypted_secret from vault.secrets s;
  create function vault.create_secret(new_secret text, new_name text = null, new_description text = '',
    new_key_id uuid = null) returns uuid language sql as $$
    insert into vault.secrets (secret, name, description)
    values (encode(convert_to(new_secret, 'utf8'), 'base64'), new_name, new_description) returning id $$;
  create function vault.update_secret(secret_id uuid, new_secret text = null, new_name text = null,
    new_description text = null, new_key_id uuid = null) returns void language sql as $$
    update vault.secrets s set secret = coalesce(encode(convert_to(new_secret, 'utf8'), 'base64'), s.secret)
    where s.id = secret_id $$;`;

describe.each(testDbKinds())("serverless dispatch install (pg_cron/pg_net stand-ins) on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  let integrationId: string;

  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
    integrationId = await addIntegration(db, await createOrg(db), "xledger");
  });
  afterAll(() => t.close());
  afterEach(async () => {
    await db.exec(`
      drop schema if exists net cascade; drop schema if exists cron cascade; drop schema if exists vault cascade;
      delete from sync_engine.settings;
      update public.sync_run_log set status = 'cancelled' where status in ('pending', 'running');`);
  });

  const as = <T>(identity: Identity, sql: string, params: unknown[] = []) =>
    actAs(db, identity, async (tx) => (await tx.query<{ r: T }>(sql, params)).rows[0]?.r as T);
  const install = (args: string, params: unknown[] = [], identity: Identity = serviceRole) =>
    as<Record<string, unknown>>(identity, `select sync_engine.install_serverless(${args}) as r`, params);
  /** The `code` of a PostgREST full-control error (`RAISE SQLSTATE 'PGRST'`). */
  const apiCode = async (promise: Promise<unknown>) => {
    const error = (await promise.then(
      () => null,
      (e: unknown) => e,
    )) as { code?: string; message?: string } | null;
    expect(error?.code).toBe("PGRST");
    return (JSON.parse(error?.message ?? "{}") as { code: string }).code;
  };
  const settings = async () =>
    Object.fromEntries(
      (
        await db.query<{ key: string; value: string }>("select key, value from sync_engine.settings")
      ).rows.map((r) => [r.key, r.value]),
    );
  const enqueue = async () =>
    (
      await db.query<{ run_id: string }>("select run_id from sync_engine.enqueue_run($1, 'scheduled')", [
        integrationId,
      ])
    ).rows[0]?.run_id as string;

  it("refuses clearly where pg_cron or pg_net is missing, and changes nothing", async () => {
    expect(await apiCode(install("$1, p_token => 's3cret'", [URL_]))).toBe("pg_cron_unavailable");
    await db.exec(PG_CRON);
    expect(await apiCode(install("$1, p_token => 's3cret'", [URL_]))).toBe("pg_net_unavailable");
    expect(await settings()).toEqual({});
    expect(await countRows(db, "cron.job")).toBe(0);
  });

  it("stores URL and token, schedules one sweep job, and the job posts {} with the token", async () => {
    await db.exec(PG_CRON + PG_NET);
    const result = await install("$1, p_token => 's3cret'", [URL_]);
    expect(result).toMatchObject({
      job_name: "sync-scheduler-sweep",
      schedule: "* * * * *",
      dispatch_url: URL_,
      token_source: "table",
      token_vault_name: null,
    });
    expect(await settings()).toEqual({ dispatch_url: URL_, dispatch_token: "s3cret" });
    const { rows: jobs } = await db.query<{ jobname: string; schedule: string; command: string }>(
      "select jobname, schedule, command from cron.job",
    );
    expect(jobs).toEqual([
      {
        jobname: "sync-scheduler-sweep",
        schedule: "* * * * *",
        command: "select sync_engine.serverless_sweep()",
      },
      {
        jobname: "sync-scheduler-prewarm",
        schedule: "* * * * *",
        command: "select sync_engine.serverless_prewarm(30)",
      },
    ]);

    // What pg_cron would run every minute.
    await db.exec(jobs[0]?.command as string);
    // And what an enqueue sends (dispatch_run now goes through the same door).
    const runId = await enqueue();
    const { rows: calls } = await db.query(
      "select url, body, headers, timeout_ms from net.calls order by id",
    );
    const headers = { "Content-Type": "application/json", Authorization: "Bearer s3cret" };
    expect(calls).toEqual([
      { url: URL_, body: {}, headers, timeout_ms: 5000 },
      { url: URL_, body: { run_id: runId }, headers, timeout_ms: 5000 },
    ]);
  });

  it("a scheduler tick's queued groups each post one {schedule_group} dispatch, not one per run", async () => {
    await db.exec(PG_CRON + PG_NET);
    await install("$1, p_token => 's3cret'", [URL_]);
    const ids = [integrationId, crypto.randomUUID(), crypto.randomUUID()];
    const at = new Date("2026-11-30T10:00:00Z");
    const { rows } = await db.query<{ groups: number; integrations: number }>(
      `select * from sync_engine.queue_schedule_groups($1::uuid[], array[1, 1, 1], array['0 * * * *'], array['UTC'],
         array[$2::timestamptz], array[$2::timestamptz], array[$3::timestamptz], 2)`,
      [ids, at, new Date(at.getTime() + 3_600_000)],
    );
    expect(rows[0]).toEqual({ groups: 2, integrations: 3 });
    const { rows: groups } = await db.query<{ id: string }>(
      "select id from sync_engine.schedule_groups order by id",
    );
    const { rows: calls } = await db.query<{ body: unknown }>("select body from net.calls order by id");
    expect(calls.map((c) => c.body)).toEqual(groups.map((g) => ({ schedule_group: Number(g.id) })));
    await db.query("delete from sync_engine.schedule_groups");
  });

  it("the tick's due read (queue_due_schedule_groups) posts one {schedule_group} dispatch per group it makes", async () => {
    await db.exec(PG_CRON + PG_NET);
    await install("$1, p_token => 's3cret'", [URL_]);
    const at = new Date("2026-11-30T10:00:00Z");
    const others = [
      await addIntegration(db, await createOrg(db), "xledger"),
      await addIntegration(db, await createOrg(db), "xledger"),
    ];
    const ids = [integrationId, ...others];
    await db.query(
      "update public.organization_integrations set schedule_cron = '0 * * * *', schedule_timezone = 'UTC' where id = any ($1::uuid[])",
      [ids],
    );
    await db.query(
      "update public.organization_integrations set next_run_at = $2 where id = any ($1::uuid[])",
      [ids, at],
    );
    const { rows } = await db.query<{ step_ids: string[]; groups: number; integrations: number }>(
      `select * from sync_engine.queue_due_schedule_groups($1, array['0 * * * *'], array['UTC'], array[$2::timestamptz],
         array[$2::timestamptz], array[$3::timestamptz], 0, 2)`,
      [new Date(at.getTime() + 1_000), at, new Date(at.getTime() + 3_600_000)],
    );
    expect(rows).toEqual([{ step_ids: [], groups: 2, integrations: 3 }]);
    const { rows: groups } = await db.query<{ id: string }>(
      "select id from sync_engine.schedule_groups order by id",
    );
    const { rows: calls } = await db.query<{ body: unknown }>("select body from net.calls order by id");
    expect(calls.map((c) => c.body)).toEqual(groups.map((g) => ({ schedule_group: Number(g.id) })));
    await db.query("delete from sync_engine.schedule_groups");
    await db.query(
      "update public.organization_integrations set schedule_cron = null where id = any ($1::uuid[])",
      [ids],
    );
  });

  it("is idempotent: installing again updates the one job and the settings", async () => {
    await db.exec(PG_CRON + PG_NET);
    const first = await install("$1, p_token => 'one'", [URL_]);
    const second = await install("$1, p_token => 'two', p_schedule => '*/2 * * * *'", [`${URL_}-v2`]);
    expect(second.job_id).toBe(first.job_id);
    expect(second.prewarm_job_id).toBe(first.prewarm_job_id);
    expect(await countRows(db, "cron.job")).toBe(2);
    expect(await settings()).toEqual({ dispatch_url: `${URL_}-v2`, dispatch_token: "two" });
  });

  it("keeps the token in Vault where it exists, given in the clear or by secret name", async () => {
    await db.exec(PG_CRON + PG_NET + VAULT);
    expect(await install("$1, p_token => 'vaulted'", [URL_])).toMatchObject({
      token_source: "vault",
      token_vault_name: "sync_scheduler.dispatch_token",
    });
    expect(await settings()).toEqual({
      dispatch_url: URL_,
      dispatch_token_vault_name: "sync_scheduler.dispatch_token",
    });
    await db.exec("select sync_engine.serverless_sweep()");
    const last = async () =>
      (
        await db.query<{ headers: Record<string, string> }>(
          "select headers from net.calls order by id desc limit 1",
        )
      ).rows[0]?.headers.Authorization;
    expect(await last()).toBe("Bearer vaulted");

    await db.query("select vault.create_secret('mine', 'my_worker_secret')");
    await install("$1, p_token_vault_name => 'my_worker_secret'", [URL_]);
    expect(await settings()).toEqual({ dispatch_url: URL_, dispatch_token_vault_name: "my_worker_secret" });
    await db.exec("select sync_engine.serverless_sweep()");
    expect(await last()).toBe("Bearer mine");

    expect(await apiCode(install("$1, p_token_vault_name => 'nope'", [URL_]))).toBe("vault_secret_not_found");
  });

  it("validates its arguments", async () => {
    await db.exec(PG_CRON + PG_NET);
    expect(await apiCode(install("$1, p_token => 'x'", ["ftp://example.com/x"]))).toBe(
      "invalid_dispatch_url",
    );
    expect(await apiCode(install("$1, p_token => 'x'", ["not a url"]))).toBe("invalid_dispatch_url");
    expect(await apiCode(install("$1", [URL_]))).toBe("invalid_dispatch_token");
    expect(await apiCode(install("$1, p_token => 'x', p_token_vault_name => 'y'", [URL_]))).toBe(
      "invalid_dispatch_token",
    );
    expect(await apiCode(install("$1, p_token => '  '", [URL_]))).toBe("invalid_dispatch_token");
    // Vault by name where there is no Vault.
    expect(await apiCode(install("$1, p_token_vault_name => 'y'", [URL_]))).toBe("vault_unavailable");
  });

  it("is for the service role and the owner only", async () => {
    await db.exec(PG_CRON + PG_NET);
    for (const identity of [anon, user("a0000000-0000-4000-8000-000000000002")]) {
      await expect(install("$1, p_token => 'x'", [URL_], identity)).rejects.toMatchObject({ code: "42501" });
      await expect(as(identity, "select sync_engine.uninstall_serverless() as r")).rejects.toMatchObject({
        code: "42501",
      });
      await expect(as(identity, "select sync_engine.serverless_sweep() as r")).rejects.toMatchObject({
        code: "42501",
      });
    }
    expect(await settings()).toEqual({});
    // The owner (the connection the migrations ran as) may, like the service role.
    await db.query("select sync_engine.install_serverless($1, p_token => 'x')", [URL_]);
    expect(await settings()).toMatchObject({ dispatch_url: URL_ });
  });

  it("uninstalls: job and settings gone, enqueues notify only; twice is harmless", async () => {
    await db.exec(PG_CRON + PG_NET);
    await install("$1, p_token => 's3cret'", [URL_]);
    expect(await as(serviceRole, "select sync_engine.uninstall_serverless() as r")).toEqual({
      unscheduled: true,
      settings_removed: 2,
    });
    expect(await countRows(db, "cron.job")).toBe(0);
    expect(await settings()).toEqual({});
    await enqueue();
    expect(await db.query("select sync_engine.serverless_sweep() as id")).toMatchObject({
      rows: [{ id: null }],
    });
    expect(await countRows(db, "net.calls")).toBe(0);
    expect(await as(serviceRole, "select sync_engine.uninstall_serverless() as r")).toEqual({
      unscheduled: false,
      settings_removed: 0,
    });
  });

  it("pre-warm: the lead is configurable, 0 drops the job, and bad leads are refused", async () => {
    await db.exec(PG_CRON + PG_NET);
    expect(await install("$1, p_token => 'x', p_prewarm_lead_seconds => 45", [URL_])).toMatchObject({
      prewarm_lead_seconds: 45,
    });
    const commands = async () =>
      (await db.query<{ command: string }>("select command from cron.job order by jobid")).rows.map(
        (r) => r.command,
      );
    expect(await commands()).toEqual([
      "select sync_engine.serverless_sweep()",
      "select sync_engine.serverless_prewarm(45)",
    ]);
    await install("$1, p_token => 'x', p_prewarm_lead_seconds => 0", [URL_]);
    expect(await commands()).toEqual(["select sync_engine.serverless_sweep()"]);
    for (const lead of [-1, 601]) {
      expect(await apiCode(install("$1, p_token => 'x', p_prewarm_lead_seconds => $2", [URL_, lead]))).toBe(
        "invalid_prewarm_lead",
      );
    }
  });

  it("pre-warm: posts {warmup} for the integrations whose period starts lead seconds after a point in the coming minute", async () => {
    await db.exec(PG_CRON + PG_NET);
    await install("$1, p_token => 's3cret'", [URL_]);
    // Nothing scheduled within reach: no request.
    expect((await db.query("select sync_engine.serverless_prewarm(1) as id")).rows).toEqual([{ id: null }]);
    // A period 1.2 s away with a 1 s lead: the job sleeps ≈ 0.2 s, then posts.
    // (A changed schedule clears next_run_at, so the schedule goes first.)
    await db.query("update public.organization_integrations set schedule_cron = '0 3 * * *' where id = $1", [
      integrationId,
    ]);
    await db.query(
      `update public.organization_integrations
       set next_run_at = date_trunc('milliseconds', clock_timestamp() + interval '1.2 seconds') where id = $1`,
      [integrationId],
    );
    const { rows: due } = await db.query<{ at: Date }>(
      "select next_run_at as at from public.organization_integrations where id = $1",
      [integrationId],
    );
    const { rows } = await db.query<{ id: string | null }>("select sync_engine.serverless_prewarm(1) as id");
    expect(rows[0]?.id).not.toBeNull();
    const { rows: calls } = await db.query<{ body: Record<string, unknown> }>("select body from net.calls");
    expect(calls).toEqual([
      {
        body: {
          warmup: true,
          period_at: expect.any(String),
          integration_ids: [integrationId],
        },
      },
    ]);
    expect(Date.parse(calls[0]?.body.period_at as string)).toBe(due[0]?.at.getTime());
    // Bookkeeping for the cold-start rows: when the last warm-up for the integration went out.
    const { rows: sent } = await db.query<{ n: number }>(
      "select count(*)::int as n from sync_engine.prewarms where integration_id = $1 and period_at = $2",
      [integrationId, due[0]?.at],
    );
    expect(sent).toEqual([{ n: 1 }]);
    await db.query(
      "update public.organization_integrations set schedule_cron = null, next_run_at = null where id = $1",
      [integrationId],
    );
  });

  it("cold starts: recorded with the run's org and integration, readable by members only", async () => {
    const runId = await enqueue();
    const { rows } = await db.query<{ id: string }>(
      "select sync_engine.record_cold_start('dispatch', $1, 'edge-abc', 812) as id",
      [runId],
    );
    expect(rows[0]?.id).toBeDefined();
    const { rows: incident } = await db.query(
      "select kind, integration_id, run_id, worker_id, isolate_age_ms from public.function_cold_starts where run_id = $1",
      [runId],
    );
    expect(incident).toEqual([
      {
        kind: "dispatch",
        integration_id: integrationId,
        run_id: runId,
        worker_id: "edge-abc",
        isolate_age_ms: 812,
      },
    ]);
    await db.query("select sync_engine.record_cold_start('sweep')");
    // A stranger sees none of them; clients cannot write them.
    const stranger = user("a0000000-0000-4000-8000-0000000000ee");
    expect(await as(stranger, "select count(*)::int as r from public.function_cold_starts")).toBe(0);
    await expect(as(stranger, "select sync_engine.record_cold_start('sweep') as r")).rejects.toMatchObject({
      code: "42501",
    });
    await expect(
      as(stranger, "insert into public.function_cold_starts (kind) values ('sweep') returning id as r"),
    ).rejects.toMatchObject({ code: "42501" });
  });

  it("uninstalls where pg_cron is absent too (settings only)", async () => {
    await db.query("insert into sync_engine.settings (key, value) values ('dispatch_url', $1)", [URL_]);
    expect(await as(serviceRole, "select sync_engine.uninstall_serverless() as r")).toEqual({
      unscheduled: false,
      settings_removed: 1,
    });
  });
});
