import { z } from "zod";
import type { startSandbox } from "../local/sandbox/index.ts";
import { type CommandSpec, parseCommand } from "./options.ts";
import { stopSignal } from "./signals.ts";

/** Default port of the standalone sandbox (the embedded stack serves it on the gateway's port instead). */
export const DEFAULT_SANDBOX_PORT = 4010;

/** `sync-scheduler sandbox`: its options, their variables, defaults and help (see src/cli/options.ts). */
export const sandboxSpec = {
  name: "sandbox",
  summary: "Serve the fake Xledger and Business Central APIs (demo, tests)",
  schemas: [
    z.object({
      port: z.coerce
        .number()
        .int()
        .min(0)
        .max(65_535)
        .default(DEFAULT_SANDBOX_PORT)
        .describe("Port (0 picks a free one)"),
      host: z.string().min(1).default("127.0.0.1").describe("Interface to listen on"),
    }),
  ],
  env: { port: "SYNC_SANDBOX_PORT", host: "SYNC_SANDBOX_HOST" },
} as const satisfies CommandSpec;

/** `sync-scheduler sandbox [--port 4010] [--host 127.0.0.1]` — the fake Xledger and Business Central (docs/architecture.md §9). */
export async function sandboxCommand(argv: string[]): Promise<number> {
  const options = parseCommand(sandboxSpec, argv);
  if (typeof options === "number") return options;
  const { port, host } = options;
  // Loaded here: src/cli.ts imports every command's module for its option spec (src/cli/start.ts).
  const [{ isLoopback }, { sandboxIntegrationSettings, startSandbox }] = await Promise.all([
    import("../local/gateway/index.ts"),
    import("../local/sandbox/index.ts"),
  ]);
  if (!isLoopback(host)) {
    process.stderr.write(
      `sync-scheduler sandbox: listening on ${host}; its credentials are public, so anyone who can reach it can use it.\n`,
    );
  }
  let sandbox: Awaited<ReturnType<typeof startSandbox>>;
  try {
    sandbox = await startSandbox({ port, host });
  } catch (error) {
    process.stderr.write(
      `sync-scheduler sandbox: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
  const u = sandbox.url;
  const settings = sandboxIntegrationSettings(u);
  process.stdout.write(
    [
      "",
      "Sandbox accounting servers are running.",
      "",
      `  URL               ${u}`,
      `  Xledger           POST ${u}/xledger/graphql   (Authorization: token ${settings.xledger.credentials.token})`,
      `  Business Central  POST ${u}/bc/oauth2/v2.0/token   (client ${settings.dynamics.credentials.client_id} / ${settings.dynamics.credentials.client_secret})`,
      `                    API  ${u}/bc/api/v2.0`,
      `  State             GET  ${u}/__sandbox/state`,
      `  Faults            POST ${u}/__sandbox/faults   {"target":"xledger"|"dynamics","kind":…,"count":N}`,
      `  Reset             POST ${u}/__sandbox/reset`,
      "",
      "Integration settings: `config` goes in public.organization_integrations.config, `credentials`",
      "through sync_engine.set_integration_credentials(integration_id, credentials):",
      "",
      JSON.stringify(settings, null, 2),
      "",
      "Press Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
  await stopSignal();
  await sandbox.close();
  return 0;
}
