import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDbKinds } from "../helpers/db.ts";
import { waitFor } from "../helpers/waitFor.ts";
import { type GatewayHarness, openGatewayHarness } from "./harness.ts";

/** Creates `public.<signature>` as the database owner and lets anon call it. */
const define = (h: GatewayHarness, signature: string, rest: string) =>
  h.t.db.exec(
    `create function public.${signature} ${rest};
     grant execute on function public.${signature.replace(/\(([^)]*)\).*/, (_, args: string) => `(${args})`)} to anon;`,
  );

describe.each(testDbKinds())("gateway RPC schema cache and response GUCs on %s", (kind) => {
  let h: GatewayHarness;

  beforeAll(async () => {
    h = await openGatewayHarness(kind);
  });
  afterAll(() => h.close());

  it("calls a function created after the gateway started, and a new overload of a cached one", async () => {
    const client = h.client();
    await define(h, "cache_new(x int)", "returns int language sql as 'select x + 1'");
    expect((await client.rpc("cache_new", { x: 1 })).data).toBe(2);

    // The one-argument overload is now cached; the two-argument one appears afterwards.
    await define(h, "cache_new(x int, y int)", "returns int language sql as 'select x + y'");
    expect((await client.rpc("cache_new", { x: 1, y: 5 })).data).toBe(6);
    expect((await client.rpc("cache_new", { x: 4 })).data).toBe(5);
  });

  it("reloads a cached signature after DDL changes it (event trigger → NOTIFY pgrst)", async () => {
    const client = h.client();
    await define(h, "cache_shape()", "returns int language sql as 'select 1'");
    expect((await client.rpc("cache_shape")).data).toBe(1);
    await h.t.db.exec("drop function public.cache_shape()");
    await define(h, "cache_shape()", "returns setof int language sql as 'select unnest(array[1, 2])'");
    const data = await waitFor(
      async () => {
        const r = await client.rpc("cache_shape");
        return Array.isArray(r.data) && r.data;
      },
      { what: "the set-returning signature" },
    );
    expect(data).toEqual([1, 2]);
  });

  it("applies response.status and response.headers set by the function (scalar and set)", async () => {
    const body = `language plpgsql as $$ begin
      perform set_config('response.status', '201', true);
      perform set_config('response.headers', '[{"X-Probe": "yes"}]', true);
      return RESULT; end $$`;
    await define(h, "guc_scalar()", `returns json ${body.replace("RESULT", `'{"ok": true}'::json`)}`);
    await define(
      h,
      "guc_set()",
      `returns setof int ${body.replace("return RESULT;", "return next 1; return next 2; return;")}`,
    );
    await define(
      h,
      "guc_bad()",
      "returns int language plpgsql as $$ begin perform set_config('response.status', '99', true); return 1; end $$",
    );
    const call = (fn: string) =>
      fetch(`${h.gw.url}/rest/v1/rpc/${fn}`, {
        method: "POST",
        headers: { apikey: h.gw.anonKey, "Content-Type": "application/json" },
        body: "{}",
      });
    const scalar = await call("guc_scalar");
    expect(scalar.status).toBe(201);
    expect(scalar.headers.get("x-probe")).toBe("yes");
    expect(await scalar.json()).toEqual({ ok: true });
    const set = await call("guc_set");
    expect(set.status).toBe(201);
    expect(set.headers.get("x-probe")).toBe("yes");
    expect(set.headers.get("content-range")).toBe("0-1/*");
    expect(await set.json()).toEqual([1, 2]);
    const bad = await call("guc_bad");
    expect(bad.status).toBe(500);
    expect(((await bad.json()) as { code: string }).code).toBe("PGRST112");
  });

  it("runs STABLE functions read only and VOLATILE ones read-write over POST", async () => {
    const client = h.client();
    const ro = "returns text language sql as $$ select current_setting('transaction_read_only') $$";
    await define(h, "ro_stable()", `${ro.replace("language sql", "stable language sql")}`);
    await define(h, "ro_volatile()", ro);
    expect((await client.rpc("ro_stable")).data).toBe("on");
    expect((await client.rpc("ro_volatile")).data).toBe("off");
    expect((await client.rpc("ro_volatile", {}, { get: true })).data).toBe("on");
  });

  // Last: it removes the event triggers from this file's database.
  it("caches tables too: a table created after a 404 is readable at once, a new column after DDL", async () => {
    const client = h.client();
    const missing = await client.from("cache_tab").select("*");
    expect(missing.status).toBe(404);
    expect(missing.error?.code).toBe("PGRST205");
    await h.t.db.exec(
      `create table public.cache_tab (id int primary key, a int);
       alter table public.cache_tab enable row level security;
       create policy cache_tab_read on public.cache_tab for select to anon using (true);
       grant select on public.cache_tab to anon;
       insert into public.cache_tab values (1, 2);`,
    );
    expect((await client.from("cache_tab").select("*")).data).toEqual([{ id: 1, a: 2 }]);
    await h.t.db.exec("alter table public.cache_tab add column b int not null default 7");
    const data = await waitFor(
      async () => {
        const r = await client.from("cache_tab").select("b");
        return r.error === null && r.data;
      },
      { what: "the new column" },
    );
    expect(data).toEqual([{ b: 7 }]);
  });

  // Last in this file: it drops the gateway's DDL event triggers.
  it("reloads on NOTIFY pgrst alone, as PostgREST does, when DDL does not notify", async () => {
    const client = h.client();
    await h.t.db.exec(
      "drop event trigger gateway_schema_cache_ddl_watch; drop event trigger gateway_schema_cache_drop_watch;",
    );
    await define(h, "cache_notify()", "returns int language sql as 'select 1'");
    expect((await client.rpc("cache_notify")).data).toBe(1);
    await h.t.db.exec("drop function public.cache_notify()");
    await define(h, "cache_notify()", "returns setof int language sql as 'select unnest(array[1, 2])'");
    // Still the cached scalar signature: the first row only.
    expect((await client.rpc("cache_notify")).data).toBe(1);
    await h.t.db.exec("notify pgrst, 'reload schema'");
    const data = await waitFor(
      async () => {
        const r = await client.rpc("cache_notify");
        return Array.isArray(r.data) && r.data;
      },
      { what: "the reloaded signature" },
    );
    expect(data).toEqual([1, 2]);
  });
});
