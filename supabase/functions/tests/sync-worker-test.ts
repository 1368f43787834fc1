/**
 * The worker Edge Function under real Deno, against a real PostgreSQL and the sandbox (docs/architecture.md §8).
 * Run by scripts/deno-test.sh:
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
 *     deno test --allow-all --config supabase/functions/sync-worker/deno.json supabase/functions/tests/
 * Each run creates (and drops) its own database, migrated and seeded with the project's runner,
 * and starts `sync-scheduler sandbox` as a child process.
 */
import pg from "pg";
import { migrate } from "../../../src/db/migrate.ts";
import { openPostgres } from "../../../src/db/postgres.ts";
import type { Db } from "../../../src/db/types.ts";
import { createWorkerHandler } from "../../../src/engine/edge/workerHandler.ts";
import { createJsonLogger } from "../../../src/engine/observe/jsonLogger.ts";

const XLEDGER = "e0000000-0000-4000-8000-000000000001";
const DYNAMICS = "e0000000-0000-4000-8000-000000000002";
const SECRET = "deno-test-secret";
const repo = new URL("../../../", import.meta.url);
const bin = new URL("bin/sync-scheduler.js", repo).pathname;
const entry = new URL("supabase/functions/sync-worker/index.ts", repo).pathname;
const denoConfig = new URL("supabase/functions/sync-worker/deno.json", repo).pathname;

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
function assertEquals(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

function urlFor(base: string, database: string): string {
  const u = new URL(base);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin(base: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlFor(base, "postgres") });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Reads a child's stdout until `pattern` matches; returns the match and keeps draining the rest. */
async function waitForLine(
  stream: ReadableStream<Uint8Array>,
  pattern: RegExp,
  timeoutMs = 30_000,
): Promise<{ match: RegExpExecArray; text: () => string; done: Promise<void> }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  let found: RegExpExecArray | null = null;
  let resolveFound: (m: RegExpExecArray) => void = () => {};
  const matched = new Promise<RegExpExecArray>((resolve) => {
    resolveFound = resolve;
  });
  const done = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += value;
      if (!found) {
        found = pattern.exec(text);
        if (found) resolveFound(found);
      }
    }
  })();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${text}`)),
      timeoutMs,
    );
  });
  try {
    const match = await Promise.race([
      matched,
      timeout,
      done.then(() => Promise.reject(new Error(`stream ended:\n${text}`))),
    ]);
    return { match, text: () => text, done };
  } finally {
    clearTimeout(timer);
  }
}

interface RunRow {
  status: string;
  attempt: number;
  worker_id: string | null;
  records_exported: number;
}

Deno.test("nothing Node-only is in the handler's import graph", async () => {
  const handlerModule = new URL("src/engine/edge/workerHandler.ts", repo).pathname;
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "--config", denoConfig, handlerModule],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert(success, "deno info failed");
  const graph = JSON.parse(new TextDecoder().decode(stdout)) as { modules: Array<{ specifier: string }> };
  const specifiers = graph.modules.map((m) => m.specifier);
  assert(specifiers.length > 20, `a graph was read (${specifiers.length} modules)`);
  const forbidden = specifiers.filter((s) =>
    /^node:|pino|prom-client|pglite|\/src\/(gateway|sandbox|cli)\//.test(s),
  );
  assertEquals(forbidden, [], "Node-only modules in the graph");
});

Deno.test("sync-worker Edge Function handler under Deno", async (t) => {
  const base = Deno.env.get("DATABASE_URL") ?? "postgres://postgres@127.0.0.1:5432/postgres";
  const name = `sync_deno_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  await admin(base, `create database ${name}`);
  const dbUrl = urlFor(base, name);
  const db: Db = openPostgres({ connectionString: dbUrl, max: 8 });
  const sandboxProc = new Deno.Command("node", {
    args: [bin, "sandbox", "--port", "0"],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const lines: Array<Record<string, unknown>> = [];
  const handler = createWorkerHandler({
    db,
    secrets: [SECRET],
    clock: "request",
    log: createJsonLogger({ write: (line) => lines.push(JSON.parse(line)) }),
  });
  let sandboxOut: Awaited<ReturnType<typeof waitForLine>> | undefined;
  try {
    // The project's migration runner, imported under Deno (node:fs/node:path through Deno's Node compat).
    await migrate(db, { seed: true });
    sandboxOut = await waitForLine(sandboxProc.stdout, /Press Ctrl-C to stop\./);
    const printed = sandboxOut.text();
    const sandboxUrl = /URL\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(printed)?.[1] as string;
    // `sync-scheduler sandbox` prints the settings for both integrations as one JSON block.
    const settings = JSON.parse(/\n(\{[\s\S]*\n\})\n/.exec(printed)?.[1] ?? "{}") as Record<
      "xledger" | "dynamics",
      { config: unknown; credentials: unknown }
    >;
    for (const [id, type] of [
      [XLEDGER, "xledger"],
      [DYNAMICS, "dynamics"],
    ] as const) {
      await db.query("update public.organization_integrations set config = $2 where id = $1", [
        id,
        settings[type].config,
      ]);
      await db.query("select sync_engine.set_integration_credentials($1, $2)", [
        id,
        settings[type].credentials,
      ]);
    }
    const state = async () =>
      (await (await fetch(`${sandboxUrl}/__sandbox/state`)).json()) as Record<
        "xledger" | "dynamics",
        { received: Record<string, number> }
      >;
    const enqueue = async (integrationId: string) =>
      (
        await db.query<{ run_id: string }>("select run_id from sync_engine.enqueue_run($1, 'scheduled')", [
          integrationId,
        ])
      ).rows[0]?.run_id as string;
    const runRow = async (id: string) =>
      (
        await db.query<RunRow>(
          "select status, attempt, worker_id, records_exported from public.sync_run_log where id = $1",
          [id],
        )
      ).rows[0] as RunRow;
    const post = (body: unknown, token = SECRET, headers: Record<string, string> = {}) =>
      new Request("http://localhost/functions/v1/sync-worker", {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      });

    await t.step("warm-up → 200 at once, no claim; the cold start is logged once", async () => {
      const runId = await enqueue(XLEDGER);
      const res = await handler(post({ warmup: true }));
      assertEquals(res.status, 200, "status");
      assertEquals(await res.json(), { warm: true, cold_start: true }, "body");
      const again = await handler(post({}, SECRET, { "x-sync-warmup": "1" }));
      assertEquals(await again.json(), { warm: true, cold_start: false }, "second warm-up");
      assertEquals(await handler.settled(), [], "sessions");
      assertEquals((await runRow(runId)).status, "pending", "run status");
      assertEquals(lines.filter((l) => l.event === "cold_start").length, 1, "cold_start lines");
      await db.query("update public.sync_run_log set status = 'cancelled' where id = $1", [runId]);
    });

    await t.step("bad or missing secret → 401", async () => {
      assertEquals((await handler(post({}, "wrong"))).status, 401, "wrong secret");
      const none = await handler(new Request("http://localhost/", { method: "POST", body: "{}" }));
      assertEquals(none.status, 401, "no secret");
      assertEquals(
        await none.json(),
        { code: "unauthorized", message: "A valid bearer secret is required." },
        "body",
      );
    });

    await t.step(
      "dispatch with run_id → 202; the run succeeds, each entry in the sandbox exactly once",
      async () => {
        const runId = await enqueue(XLEDGER);
        const res = await handler(post({ run_id: runId }));
        assertEquals(res.status, 202, "status");
        const body = (await res.json()) as { worker_id: string; kind: string };
        assertEquals(body.kind, "dispatch", "kind");
        const [summary] = await handler.settled();
        assertEquals(summary?.results, { succeeded: 1 }, "results");
        const row = await runRow(runId);
        assertEquals(
          row,
          { status: "succeeded", attempt: 1, worker_id: body.worker_id, records_exported: 12 },
          "run",
        );
        const received = (await state()).xledger.received;
        assertEquals(Object.keys(received).length, 12, "entries received");
        assert(
          Object.values(received).every((n) => n === 1),
          `every entry exactly once: ${JSON.stringify(received)}`,
        );
      },
    );

    await t.step("sweep {} → claims the pending runs", async () => {
      const a = await enqueue(DYNAMICS);
      const res = await handler(post({}));
      assertEquals(res.status, 202, "status");
      assertEquals(((await res.json()) as { kind: string }).kind, "sweep", "kind");
      const summaries = await handler.settled();
      assertEquals(summaries.at(-1)?.claimed, 1, "claimed");
      assertEquals((await runRow(a)).status, "succeeded", "dynamics run");
      const received = (await state()).dynamics.received;
      assertEquals(Object.keys(received).length, 12, "dynamics entries");
      assert(
        Object.values(received).every((n) => n === 1),
        "every dynamics entry exactly once",
      );
    });

    await t.step("hands its background work to EdgeRuntime.waitUntil where the runtime has it", async () => {
      const kept: Array<Promise<unknown>> = [];
      const g = globalThis as { EdgeRuntime?: { waitUntil(p: Promise<unknown>): void } };
      g.EdgeRuntime = { waitUntil: (p) => kept.push(p) };
      try {
        const edge = createWorkerHandler({
          db,
          secrets: [SECRET],
          clock: "request",
          log: createJsonLogger({ write: () => {} }),
        });
        const runId = await enqueue(XLEDGER);
        assertEquals((await edge(post({ run_id: runId }))).status, 202, "status");
        // The session, and the cold-start record (this isolate's first request was real work).
        assertEquals(kept.length, 2, "promises handed to waitUntil");
        await Promise.all(kept);
        assertEquals((await runRow(runId)).status, "succeeded", "run");
        const incidents = await db.query<{ kind: string }>(
          "select kind from public.function_cold_starts where run_id = $1",
          [runId],
        );
        assertEquals(incidents.rows, [{ kind: "dispatch" }], "cold-start incident");
        await edge.close();
      } finally {
        delete g.EdgeRuntime;
      }
    });

    await t.step("the real entry point boots under Deno.serve and answers a warm-up", async () => {
      const server = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", "--config", denoConfig, entry],
        env: {
          SUPABASE_DB_URL: dbUrl,
          SYNC_WORKER_SECRET: SECRET,
          DENO_SERVE_ADDRESS: "tcp:127.0.0.1:0",
        },
        stdout: "piped",
        stderr: "piped",
        stdin: "null",
      }).spawn();
      const stdout = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let out = "";
      const draining = (async () => {
        for (;;) {
          const { value, done } = await stdout.read();
          if (done) return;
          out += value;
        }
      })();
      try {
        const listening = await waitForLine(server.stderr, /Listening on (http:\/\/127\.0\.0\.1:\d+)/);
        const url = listening.match[1] as string;
        const warm = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${SECRET}` },
          body: JSON.stringify({ warmup: true }),
        });
        assertEquals(await warm.json(), { warm: true, cold_start: true }, "warm-up");
        const refused = await fetch(url, { method: "POST", body: "{}" });
        assertEquals(refused.status, 401, "no secret");
        await refused.body?.cancel();
        // JSON lines on stdout: the cold start, then the warm-up.
        for (let i = 0; i < 100 && !out.includes('"event":"warmup"'); i++)
          await new Promise((r) => setTimeout(r, 20));
        const events = out
          .split("\n")
          .filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as { event: string });
        assert(
          events.some((e) => e.event === "cold_start"),
          `cold_start logged: ${out}`,
        );
        server.kill("SIGTERM");
        await server.status;
        await Promise.all([draining, listening.done]);
      } finally {
        try {
          server.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
    });
  } finally {
    await handler.close(1_000);
    await db.close();
    try {
      sandboxProc.kill("SIGINT");
    } catch {
      // already gone
    }
    await sandboxProc.status;
    if (sandboxOut) await sandboxOut.done;
    else await sandboxProc.stdout.cancel();
    await admin(base, `drop database if exists ${name} with (force)`);
  }
});
