import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { applyLocalSql } from "../../src/local/gateway/localSql.ts";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";

// A gateway start applies its local SQL only when the files or what they depend on in the
// database changed (src/local/gateway/sql/local-sql-state.sql); otherwise it skips them.
describe.each(testDbKinds())("gateway local SQL on %s", (kind) => {
  let t: TestDb;
  let db: Db;
  beforeAll(async () => {
    t = await openTestDb(kind);
    db = t.db;
  });
  afterAll(() => t.close());

  const hasCapture = async (table: string) => {
    const { rows } = await db.query<{ n: number }>(
      "select count(*)::int as n from pg_trigger where tgrelid = $1::regclass and tgname = 'gateway_local_realtime'",
      [table],
    );
    return rows[0]?.n === 1;
  };

  it("is applied once, then skipped while nothing changed", async () => {
    expect(await applyLocalSql(db)).toBe(true);
    expect(await hasCapture("public.sync_run_log")).toBe(true);
    expect(await applyLocalSql(db)).toBe(false);
    expect(await applyLocalSql(db)).toBe(false);
  });

  it("is applied again when a table joins the realtime publication, which then gets its capture trigger", async () => {
    await db.exec(`
      create table public.local_sql_probe (a int, b text, primary key (a, b));
      alter publication supabase_realtime add table public.local_sql_probe;`);
    expect(await hasCapture("public.local_sql_probe")).toBe(false);
    expect(await applyLocalSql(db)).toBe(true);
    expect(await hasCapture("public.local_sql_probe")).toBe(true);
    const { rows } = await db.query<{ args: string }>(
      `select encode(tgargs, 'escape') as args from pg_trigger
       where tgrelid = 'public.local_sql_probe'::regclass and tgname = 'gateway_local_realtime'`,
    );
    expect(rows[0]?.args).toBe("a\\000b\\000");
    expect(await applyLocalSql(db)).toBe(false);
  });

  it("is applied again when a table's primary key changes, and the trigger takes the new columns", async () => {
    await db.exec(`
      alter table public.local_sql_probe drop constraint local_sql_probe_pkey;
      alter table public.local_sql_probe add primary key (b);`);
    expect(await applyLocalSql(db)).toBe(true);
    const { rows } = await db.query<{ args: string }>(
      `select encode(tgargs, 'escape') as args from pg_trigger
       where tgrelid = 'public.local_sql_probe'::regclass and tgname = 'gateway_local_realtime'`,
    );
    expect(rows[0]?.args).toBe("b\\000");
  });

  it("is applied again when a capture trigger or an event trigger is gone", async () => {
    await db.exec("drop trigger gateway_local_realtime on public.sync_run_log");
    expect(await applyLocalSql(db)).toBe(true);
    expect(await hasCapture("public.sync_run_log")).toBe(true);

    await db.exec("drop event trigger gateway_schema_cache_drop_watch");
    expect(await applyLocalSql(db)).toBe(true);
    const { rows } = await db.query<{ n: number }>(
      "select count(*)::int as n from pg_event_trigger where evtname like 'gateway_schema_cache_%'",
    );
    expect(rows[0]?.n).toBe(2);
    expect(await applyLocalSql(db)).toBe(false);
  });
});
