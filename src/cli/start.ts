import { parseArgs } from "node:util";
import { z } from "zod";
import { describeIssues, flagOrEnv } from "../config/env.ts";
import { startStack } from "../local/stack/startStack.ts";
import { createLogger } from "./log.ts";

const options = z.object({
  port: z.coerce.number().int().min(0).max(65_535).default(54321),
  host: z.string().min(1).default("127.0.0.1"),
  "data-dir": z.string().min(1).default(".sync-scheduler"),
  "db-url": z.string().url().optional(),
  "jwt-secret": z.string().min(32, "the JWT secret must have at least 32 characters").optional(),
});

const DEMO_USERS = ["admin@demo.test", "coordinator@demo.test", "viewer@demo.test", "coordinator@other.test"];

/** `sync-scheduler start [--port 54321] [--host 127.0.0.1] [--data-dir DIR] [--db-url URL]` */
export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      "db-url": { type: "string" },
      "jwt-secret": { type: "string" },
    },
  });
  const parsed = options.safeParse({
    port: flagOrEnv(values, "port", "SYNC_PORT"),
    host: flagOrEnv(values, "host", "SYNC_HOST"),
    "data-dir": flagOrEnv(values, "data-dir", "SYNC_DATA_DIR"),
    "db-url": flagOrEnv(values, "db-url", "DATABASE_URL"),
    "jwt-secret": flagOrEnv(values, "jwt-secret", "SUPABASE_JWT_SECRET"),
  });
  if (!parsed.success) {
    process.stderr.write(`sync-scheduler start: invalid options\n${describeIssues(parsed.error)}\n`);
    return 2;
  }
  const o = parsed.data;
  const log = createLogger(process.env.LOG_LEVEL ?? "warn");
  let stack: Awaited<ReturnType<typeof startStack>>;
  try {
    stack = await startStack({
      port: o.port,
      host: o.host,
      dataDir: o["data-dir"],
      dbUrl: o["db-url"],
      ...(o["jwt-secret"] ? { jwtSecret: o["jwt-secret"] } : {}),
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
      `  Dashboard      ${stack.url}/`,
      `  API (Supabase) ${stack.url}   (REST /rest/v1, Realtime /realtime/v1, Auth /auth/v1)`,
      `  anon key       ${stack.anonKey}`,
      `  service key    ${stack.serviceRoleKey}`,
      `  Sandbox state  ${stack.url}/__sandbox/state`,
      `  Database       ${o["db-url"] ? "PostgreSQL (--db-url)" : `PGlite in ${o["data-dir"]}/pgdata`}`,
      "",
      `  Demo users (password demo-password): ${DEMO_USERS.join(", ")}`,
      "",
      "Press Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  process.stdout.write("Stopping…\n");
  await stack.close();
  return 0;
}
