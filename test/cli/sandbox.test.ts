import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers/waitFor.ts";

const bin = fileURLToPath(new URL("../../bin/sync-scheduler.js", import.meta.url));

describe("sync-scheduler sandbox (child process)", () => {
  it("serves the sandbox, prints its URL and the integration settings, and exits 0 on SIGINT", async () => {
    const proc = spawn(process.execPath, [bin, "sandbox", "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    proc.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    try {
      const printed = await waitFor(() => out, {
        until: (o) => o.includes("Press Ctrl-C to stop."),
        timeoutMs: 30_000,
      });
      const url = /URL\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(printed)?.[1];
      expect(url).toBeDefined();
      // The settings for both integrations, pointing at this sandbox.
      const json = printed.slice(printed.indexOf("\n{") + 1, printed.lastIndexOf("\n}") + 2);
      expect(JSON.parse(json)).toMatchObject({
        xledger: { config: { base_url: `${url}/xledger` }, credentials: { token: "sandbox-xledger-token" } },
        dynamics: { credentials: { client_id: "sandbox-client", client_secret: "sandbox-secret" } },
      });
      const state = await fetch(`${url}/__sandbox/state`);
      expect(state.status).toBe(200);
      expect(await state.json()).toEqual({ xledger: { received: {} }, dynamics: { received: {} } });
      proc.kill("SIGINT");
      const [code] = await once(proc, "exit");
      expect(code).toBe(0);
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
    }
  });

  it("rejects an invalid port with exit code 2", async () => {
    const proc = spawn(process.execPath, [bin, "sandbox", "--port", "99999"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    proc.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    const [code] = await once(proc, "exit");
    expect(code).toBe(2);
    expect(err).toContain("--port");
  });
});
