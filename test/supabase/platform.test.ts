import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { SANDBOX_BC_CLIENT_SECRET } from "../../src/local/sandbox/dynamics/data.ts";
import type { Sandbox } from "../../src/local/sandbox/index.ts";
import { SANDBOX_XLEDGER_TOKEN } from "../../src/local/sandbox/xledger/server.ts";
import {
  COORDINATOR,
  clientAs,
  connect,
  DEMO_ORG,
  DYNAMICS,
  seedWithSandbox,
  skipReason,
  XLEDGER,
} from "./fixture.ts";

const run = promisify(execFile);

/** What the platform itself does to the project's objects: Vault and the Auth server's token hook. */
describe.skipIf(skipReason() !== "")("Supabase platform parts on a Supabase-laid-out database", () => {
  let db: Db;
  let admin: Db;
  let sandbox: Sandbox;

  beforeAll(async () => {
    ({ db, admin } = connect());
    sandbox = await seedWithSandbox(db);
  });
  afterAll(async () => {
    await sandbox?.close();
    await db?.close();
    await admin?.close();
  });

  it("the project's login is not a superuser, and anon holds nothing in the project's schemas", async () => {
    const { rows } = await db.query<{ rolsuper: boolean }>(
      "select rolsuper from pg_roles where rolname = current_user",
    );
    expect(rows).toEqual([{ rolsuper: false }]);
    const { rows: granted } = await admin.query<{ object: string }>(
      `select c.relname as object from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname in ('public', 'sync_engine', 'sync_auth') and c.relkind in ('r', 'v', 'm', 'p')
         and (has_table_privilege('anon', c.oid, 'select') or has_table_privilege('anon', c.oid, 'insert')
           or has_table_privilege('anon', c.oid, 'update') or has_table_privilege('anon', c.oid, 'delete'))
       union all
       select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       where n.nspname in ('public', 'sync_engine', 'sync_auth') and has_function_privilege('anon', p.oid, 'execute')`,
    );
    expect(granted).toEqual([]);
  });

  it("credentials are stored encrypted in Vault: no table of the database holds them in plain text", async () => {
    const { rows } = await admin.query<{ integration_id: string; in_vault: boolean; plain: boolean }>(
      `select c.integration_id::text, c.vault_secret_id is not null as in_vault, c.credentials is not null as plain
       from sync_engine.integration_credentials c order by 1`,
    );
    expect(rows.map((r) => r.integration_id)).toEqual(expect.arrayContaining([XLEDGER, DYNAMICS]));
    expect(rows.every((r) => r.in_vault && !r.plain)).toBe(true);
    const { rows: decrypted } = await admin.query<{ secret: string }>(
      `select s.decrypted_secret as secret from vault.decrypted_secrets s
       join sync_engine.integration_credentials c on c.vault_secret_id = s.id where c.integration_id = $1`,
      [XLEDGER],
    );
    expect(JSON.parse(decrypted[0]?.secret ?? "{}")).toEqual({ token: SANDBOX_XLEDGER_TOKEN });
    // Every row of every table, as the superuser sees it: the secrets appear nowhere in the clear.
    const { stdout } = await run("pg_dump", ["--data-only", "--no-owner", inject("supabaseAdminUrl")], {
      maxBuffer: 256 * 1024 * 1024,
    });
    expect(stdout).toContain("integration_credentials");
    expect(stdout).not.toContain(SANDBOX_XLEDGER_TOKEN);
    expect(stdout).not.toContain(SANDBOX_BC_CLIENT_SECRET);
  });

  it("custom_access_token_hook runs as supabase_auth_admin on GoTrue's auth.users and adds org_id", async () => {
    const auth = await clientAs("supabase_auth_admin");
    try {
      const { rows: users } = await auth.query<{ email: string }>(
        "select email from auth.users where id = $1",
        [COORDINATOR],
      );
      expect(users).toEqual([{ email: "coordinator@demo.test" }]);
      const now = Math.floor(Date.now() / 1000);
      // The input GoTrue sends (supabase/auth internal/hooks: CustomAccessTokenInput).
      const event = {
        user_id: COORDINATOR,
        claims: {
          aud: "authenticated",
          exp: now + 3600,
          iat: now,
          sub: COORDINATOR,
          email: "coordinator@demo.test",
          phone: "",
          app_metadata: { provider: "email", providers: ["email"] },
          user_metadata: {},
          role: "authenticated",
          aal: "aal1",
          amr: [{ method: "password", timestamp: now }],
          session_id: "6f1c5bb2-6d8e-4f57-9c1b-2f3a4b5c6d7e",
          is_anonymous: false,
        },
        authentication_method: "password",
      };
      const { rows } = await auth.query<{ out: { claims: Record<string, unknown> } }>(
        "select public.custom_access_token_hook($1::jsonb) as out",
        [JSON.stringify(event)],
      );
      expect(rows[0]?.out.claims).toEqual({ ...event.claims, org_id: DEMO_ORG });
      // A user with no membership gets no org_id (and so cannot trigger anything).
      const stranger = { ...event, user_id: "a0000000-0000-4000-8000-0000000000ff" };
      const { rows: none } = await auth.query<{ out: { claims: Record<string, unknown> } }>(
        "select public.custom_access_token_hook($1::jsonb) as out",
        [JSON.stringify({ ...stranger, claims: { ...event.claims, org_id: DEMO_ORG } })],
      );
      expect(none[0]?.out.claims.org_id).toBeUndefined();
    } finally {
      await auth.end();
    }
  });
});
