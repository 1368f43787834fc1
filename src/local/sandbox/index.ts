// Over 300 lines: the sandbox's one server: routing, control endpoints and fault plumbing.
/**
 * The sandbox: fake Xledger and Business Central on one node:http server (docs/architecture.md §9), plus the control
 * endpoints `GET /__sandbox/state`, `POST /__sandbox/faults`, `POST /__sandbox/reset`, and the test-only
 * stand-in for a user deleting an item in Xledger's UI, `DELETE /__sandbox/xledger/glImportItems/{dbId}`.
 */

import { setMaxListeners } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { API_PATH, DynamicsSandbox, type DynamicsSandboxOptions, TOKEN_PATH } from "./dynamics/server.ts";
import { type Fault, FaultQueue, parseFault } from "./faults.ts";
import {
  BodyTooLargeError,
  json,
  type Reply,
  readRequest,
  type SandboxRequest,
  tryParseJson,
  writeReply,
} from "./http.ts";
import type { SandboxState, SandboxTarget } from "./state.ts";
import { XledgerSandbox } from "./xledger/server.ts";
import { handleUiEdit } from "./xledger/uiEdits.ts";

export {
  SANDBOX_BC_CLIENT_ID,
  SANDBOX_BC_CLIENT_SECRET,
  SANDBOX_BC_COMPANY_ID,
  SANDBOX_BC_JOURNAL_CODE,
  SANDBOX_BC_JOURNAL_ID,
} from "./dynamics/data.ts";
export type { Fault } from "./faults.ts";
export { type SandboxIntegrationSettings, sandboxIntegrationSettings } from "./settings.ts";
export type { SandboxState, SandboxTarget } from "./state.ts";
export { SANDBOX_XLEDGER_TOKEN } from "./xledger/server.ts";

/** Where to listen and how Business Central behaves. */
export interface SandboxOptions {
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Default `127.0.0.1`: the sandbox has fixed, public credentials, so it stays on loopback unless asked. */
  host?: string;
  /** Token lifetime and throttle of the fake Business Central. */
  dynamics?: DynamicsSandboxOptions;
}

/** Request counters beyond the contract state (for tests and benchmarks). */
export interface SandboxCounters {
  /** Requests that reached each fake API (token endpoint excluded), faulted ones included. */
  requests: Record<SandboxTarget, number>;
  /** Access tokens issued by the Business Central token endpoint. */
  tokensIssued: number;
  /** Faulted requests still to come, per target. */
  pendingFaults: Record<SandboxTarget, number>;
}

/** A running sandbox. */
export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:40123` (Xledger at `/xledger/graphql`, BC under `/bc`). */
  url: string;
  port: number;
  /** Stops listening, drops open connections and pending latency timers. */
  close(): Promise<void>;
  /** Same body as `GET /__sandbox/state`. */
  state(): SandboxState;
  counters(): SandboxCounters;
  /** Queues a fault exactly like `POST /__sandbox/faults`; throws on an invalid fault. */
  fault(fault: unknown): void;
  /** Same as `POST /__sandbox/reset`. */
  reset(): void;
  /** Invalidates every issued Business Central token (the next API call gets 401). */
  revokeTokens(): void;
}

/** The sandbox as a request handler, so it can also be mounted on another server (the local gateway). */
export interface SandboxApp extends Omit<Sandbox, "url" | "port" | "close"> {
  /**
   * Serves `/xledger/*`, `/bc/*` and `/__sandbox/*`; resolves false (without answering) for any
   * other path, so a host server can route it elsewhere.
   */
  handle(req: IncomingMessage, res: ServerResponse, origin: string): Promise<boolean>;
  /** Drops pending latency timers. */
  abort(): void;
}

/** A path the sandbox serves. */
export function isSandboxPath(path: string): boolean {
  return (
    path === "/xledger/graphql" ||
    path.startsWith("/__sandbox/") ||
    TOKEN_PATH.test(path) ||
    API_PATH.test(path)
  );
}

/**
 * Creates the fake accounting servers without a listener of their own.
 *
 * @example
 * const sandbox = createSandboxApp();
 * http.createServer((req, res) => void sandbox.handle(req, res, "http://127.0.0.1:8080"));
 */
export function createSandboxApp(opts: Pick<SandboxOptions, "dynamics"> = {}): SandboxApp {
  const xledger = new XledgerSandbox();
  const dynamics = new DynamicsSandbox(opts.dynamics);
  const faults = new FaultQueue();
  const requests: Record<SandboxTarget, number> = { xledger: 0, dynamics: 0 };
  const closing = new AbortController();
  // Every delayed (latency-faulted) request listens on this signal; dozens at once are normal.
  setMaxListeners(10_000, closing.signal);

  const state = (): SandboxState => ({
    xledger: { received: xledger.received.snapshot() },
    dynamics: { received: dynamics.received.snapshot() },
  });
  const reset = () => {
    xledger.reset();
    dynamics.reset();
    faults.clear();
    requests.xledger = 0;
    requests.dynamics = 0;
  };

  // A refused filter is a property of the fake server, not of the next request: it waits for the queries
  // that use the field instead of sitting in the FIFO every request draws from.
  const queueFault = (fault: Fault) => {
    if (fault.kind === "unsupported_filter") xledger.refuseFilter(fault.field, fault.count);
    else faults.push(fault);
  };
  const pending = () => {
    const queued = faults.pending();
    return { ...queued, xledger: queued.xledger + xledger.refusalsPending() };
  };

  /** Runs a request to one fake API through the fault queue. */
  const serveTarget = async (
    target: SandboxTarget,
    req: IncomingMessage,
    res: ServerResponse,
    handle: () => Promise<Reply> | Reply,
    faultReply: (fault: Fault) => Reply,
  ) => {
    requests[target] += 1;
    const fault = faults.take(target);
    if (fault !== undefined) {
      switch (fault.kind) {
        case "latency":
          await sleep(fault.ms, undefined, { signal: closing.signal });
          break;
        case "reset":
          req.socket.destroy();
          return;
        case "lost_response":
          // The request takes effect; only the answer is lost. Exactly-once must survive this.
          await handle();
          req.socket.destroy();
          return;
        default:
          writeReply(res, faultReply(fault));
          return;
      }
    }
    writeReply(res, await handle());
  };

  const control = (request: SandboxRequest): Reply | undefined => {
    const path = request.url.pathname;
    if (path === "/__sandbox/state" && request.method === "GET") return json(200, state());
    if (path === "/__sandbox/reset" && request.method === "POST") {
      reset();
      return json(200, { reset: true });
    }
    if (path === "/__sandbox/faults" && request.method === "POST") {
      const parsed = parseFault(tryParseJson(request.body));
      if (!parsed.ok) {
        return json(400, {
          error: {
            code: "invalid_fault",
            message: `invalid fault: ${parsed.problems.join("; ")}`,
            details: parsed.problems,
          },
        });
      }
      queueFault(parsed.fault);
      return json(200, { queued: parsed.fault, pending: pending() });
    }
    // Test-only stand-in for an accountant deleting an item in Xledger's UI (no public delete mutation; see the file).
    const uiEdit = handleUiEdit(request, xledger.store);
    if (uiEdit !== undefined) return uiEdit;
    if (path.startsWith("/__sandbox/")) {
      return json(404, {
        error: { code: "not_found", message: `no sandbox control endpoint ${request.method} ${path}` },
      });
    }
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, origin: string): Promise<boolean> => {
    const path = new URL(req.url ?? "/", origin).pathname;
    if (!isSandboxPath(path)) return false;
    try {
      const request = await readRequest(req, origin);
      const controlReply = control(request);
      if (controlReply !== undefined) {
        writeReply(res, controlReply);
        return true;
      }
      if (path === "/xledger/graphql") {
        await serveTarget(
          "xledger",
          req,
          res,
          () => xledger.handle(request),
          (f) => xledger.faultReply(f),
        );
      } else if (TOKEN_PATH.test(path)) {
        writeReply(res, dynamics.handleToken(request));
      } else {
        await serveTarget(
          "dynamics",
          req,
          res,
          () => dynamics.handleApi(request),
          (f) => dynamics.faultReply(f),
        );
      }
    } catch (error) {
      if (closing.signal.aborted) return true;
      if (error instanceof BodyTooLargeError) {
        writeReply(res, json(413, { error: { code: "too_large", message: error.message } }));
        return true;
      }
      // A sandbox bug must be loud in tests, but must not take the process down.
      console.error("sandbox: unhandled error", error);
      if (!res.headersSent)
        writeReply(res, json(500, { error: { code: "sandbox_bug", message: String(error) } }));
      else res.destroy();
    }
    return true;
  };

  return {
    handle,
    state,
    reset,
    counters: () => ({
      requests: { ...requests },
      tokensIssued: dynamics.tokens.issuedCount,
      pendingFaults: pending(),
    }),
    fault: (value: unknown) => {
      const parsed = parseFault(value);
      if (!parsed.ok) throw new Error(`invalid fault: ${parsed.problems.join("; ")}`);
      queueFault(parsed.fault);
    },
    revokeTokens: () => dynamics.tokens.revokeAll(),
    abort: () => closing.abort(),
  };
}

/**
 * Starts the fake accounting servers on a port of their own.
 *
 * @example
 * const sandbox = await startSandbox({ port: 0 });
 * await fetch(`${sandbox.url}/__sandbox/state`);
 * await sandbox.close();
 */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const app = createSandboxApp(opts);
  const host = opts.host ?? "127.0.0.1";
  const origin = () => `http://${host.includes(":") ? `[${host}]` : host}:${port()}`;
  const server = createServer((req, res) => {
    void app.handle(req, res, origin()).then((handled) => {
      if (!handled) {
        const path = new URL(req.url ?? "/", origin()).pathname;
        writeReply(
          res,
          json(404, { error: { code: "not_found", message: `nothing at ${req.method} ${path}` } }),
        );
      }
    });
  });

  const port = () => (server.address() as AddressInfo | null)?.port ?? 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { handle: _handle, abort, ...rest } = app;
  return {
    ...rest,
    url: origin(),
    port: port(),
    close: () =>
      new Promise<void>((resolve, reject) => {
        abort();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
