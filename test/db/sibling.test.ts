import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestDb, type TestDb, testDbKinds } from "../helpers/db.ts";

describe.each(testDbKinds())("Db.sibling, on %s", (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb(kind);
  });
  afterAll(async () => {
    await t.close();
  });

  it("opens connections of its own with the session's statement_timeout, and closes only them", async () => {
    const sibling = t.db.sibling({ size: 2, statementTimeout: "1234ms", applicationName: "sibling test" });
    if (kind === "postgres") {
      // Set for the session: no transaction around the statement.
      const { rows } = await sibling.query<{ v: string }>("select current_setting('statement_timeout') as v");
      expect(rows[0]?.v).toBe("1234ms");
      await Promise.all([sibling.query("select pg_sleep(0.05)"), sibling.query("select pg_sleep(0.05)")]);
      const open = async () =>
        (
          await t.db.query<{ n: number }>(
            "select count(*)::int as n from pg_stat_activity where application_name = 'sibling test' and datname = current_database()",
          )
        ).rows[0]?.n;
      // Both kept open while idle.
      expect(await open()).toBe(2);
      await expect(sibling.query("select pg_sleep(2)")).rejects.toMatchObject({ code: "57014" });
      await sibling.close();
      await expect.poll(open).toBe(0);
    } else {
      // PGlite has one connection: the sibling is that connection, and closing it closes nothing.
      await sibling.query("create temporary table sibling_probe (x int)");
      await sibling.close();
      const { rows } = await t.db.query<{ n: number }>("select count(*)::int as n from sibling_probe");
      expect(rows[0]?.n).toBe(0);
    }
    // The database itself is still open either way.
    expect((await t.db.query<{ one: number }>("select 1 as one")).rows[0]?.one).toBe(1);
  });
});
