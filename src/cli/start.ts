import { z } from "zod";
import { openStackDb } from "../local/stack/stackDb.ts";
import type { Stack } from "../local/stack/startStack.ts";
import { createLogger } from "./log.ts";
import { type CommandSpec, parseCommand } from "./options.ts";
import { stopSignal } from "./signals.ts";

/** `sync-scheduler start`: its options, their variables, defaults and help (see src/cli/options.ts). */
export const startSpec = {
  name: "start",
  summary: "Run the whole product locally (embedded PostgreSQL, gateway, worker, sandbox, dashboard)",
  schemas: [
    z.object({
      port: z.coerce
        .number()
        .int()
        .min(0)
        .max(65_535)
        .default(54321)
        .describe("API and dashboard port (Supabase's local API port; 0 picks a free one)"),
      host: z.string().min(1).default("127.0.0.1").describe("Interface to listen on"),
      dataDir: z
        .string()
        .min(1)
        .default(".sync-scheduler")
        .describe("Where the embedded PostgreSQL (PGlite) keeps its data"),
      dbUrl: z.string().url().optional().describe("Use this PostgreSQL instead of the embedded one"),
      jwtSecret: z
        .string()
        .min(32, "the JWT secret must have at least 32 characters")
        .optional()
        .describe("Signs the API's tokens; required for a non-loopback host"),
    }),
  ],
  env: {
    port: "SYNC_PORT",
    host: "SYNC_HOST",
    dataDir: "SYNC_DATA_DIR",
    dbUrl: "DATABASE_URL",
    jwtSecret: "SUPABASE_JWT_SECRET",
  },
} as const satisfies CommandSpec;

const DEMO_USERS = ["admin@demo.test", "coordinator@demo.test", "viewer@demo.test", "coordinator@other.test"];

/** `sync-scheduler start [options]` (`--help` lists them); runs until SIGINT/SIGTERM. */
export async function startCommand(argv: string[]): Promise<number> {
  const o = parseCommand(startSpec, argv);
  if (typeof o === "number") return o;
  const log = createLogger(process.env.LOG_LEVEL ?? "warn");
  let stack: Stack;
  try {
    // The database first, the rest of the stack while it opens: PGlite waits for V8 to compile
    // its 9 MB of WebAssembly on background threads, and loading the stack's modules (≈ 170 ms of
    // main-thread work; src/cli.ts loaded only the commands' option specs) overlaps part of that
    // wait. Measured ≈ 30 ms on a 2-core machine, where both compete for the same cores.
    // startStack owns the database from here on.
    const opening = openStackDb({ dataDir: o.dataDir, dbUrl: o.dbUrl });
    const [{ startStack }, db] = await Promise.all([import("../local/stack/startStack.ts"), opening]);
    stack = await startStack({
      db,
      port: o.port,
      host: o.host,
      ...(o.jwtSecret ? { jwtSecret: o.jwtSecret } : {}),
      log,
    });
  } catch (error) {
    process.stderr.write(`sync-scheduler start: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  process.stdout.write(
    [
      "",
      "Sync Scheduler is running.",
      "",
      // Never a URL that answers 404: without a build, say how to make one.
      stack.dashboard
        ? `  Dashboard      ${stack.url}/`
        : "  Dashboard      not built in this checkout: run `npm run build:web` (or use `npm start`, which does), then start again",
      `  API (Supabase) ${stack.url}   (REST /rest/v1, Realtime /realtime/v1, Auth /auth/v1)`,
      `  anon key       ${stack.anonKey}`,
      `  service key    ${stack.serviceRoleKey}`,
      `  Sandbox state  ${stack.url}/__sandbox/state`,
      `  Database       ${o.dbUrl ? "PostgreSQL (--db-url)" : `PGlite in ${o.dataDir}/pgdata`}`,
      "",
      `  Demo users (password demo-password): ${DEMO_USERS.join(", ")}`,
      "",
      "Press Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
  await stopSignal();
  process.stdout.write("Stopping…\n");
  await stack.close();
  return 0;
}
