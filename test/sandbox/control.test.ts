/** The sandbox control endpoints: state, faults validation, reset (docs/architecture.md §9 contract). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/local/sandbox/index.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => sandbox.reset());

async function postFault(body: unknown) {
  const raw = typeof body === "string" ? body : JSON.stringify(body);
  const res = await fetch(`${sandbox.url}/__sandbox/faults`, { method: "POST", body: raw });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

describe("sandbox control", () => {
  it("listens on an ephemeral loopback port and reports empty state", async () => {
    expect(sandbox.port).toBeGreaterThan(0);
    expect(sandbox.url).toBe(`http://127.0.0.1:${sandbox.port}`);
    const res = await fetch(`${sandbox.url}/__sandbox/state`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ xledger: { received: {} }, dynamics: { received: {} } });
    expect(sandbox.state()).toEqual({ xledger: { received: {} }, dynamics: { received: {} } });
  });

  it("queues valid faults and reports what is pending", async () => {
    const ok = await postFault({ target: "dynamics", kind: "rate_limit", count: 3, retry_after: 30 });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ queued: { kind: "rate_limit", count: 3, retry_after: 30 } });
    await postFault({ target: "xledger", kind: "latency", ms: 1 });
    expect(sandbox.counters().pendingFaults).toEqual({ xledger: 1, dynamics: 3 });
  });

  it.each([
    ["not JSON", "{nope"],
    ["unknown kind", { target: "xledger", kind: "explode", count: 1 }],
    ["unknown target", { target: "sap", kind: "reset", count: 1 }],
    ["latency without ms", { target: "xledger", kind: "latency", count: 1 }],
    ["status out of range", { target: "dynamics", kind: "status", status: 200, count: 1 }],
    ["count 0", { target: "dynamics", kind: "reset", count: 0 }],
    ["negative retry_after", { target: "dynamics", kind: "rate_limit", retry_after: -1 }],
    ["misspelt parameter", { target: "dynamics", kind: "rate_limit", retryAfter: 5 }],
    ["Xledger-only kind on dynamics", { target: "dynamics", kind: "burst_limit", count: 1 }],
  ])("rejects a bad fault body (%s) with 400 and a clear JSON error", async (_label, body) => {
    const res = await postFault(body);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe("invalid_fault");
    expect(res.body.error?.message).toMatch(/^invalid fault: /);
    expect(sandbox.counters().pendingFaults).toEqual({ xledger: 0, dynamics: 0 });
  });

  it("reset clears state and pending faults", async () => {
    await postFault({ target: "xledger", kind: "reset", count: 5 });
    await fetch(`${sandbox.url}/xledger/graphql`, {
      method: "POST",
      headers: { Authorization: "token sandbox-xledger-token", "Content-Type": "application/json" },
      body: JSON.stringify({ query: "query { __typename }" }),
    }).catch(() => undefined); // the reset fault drops this connection
    expect(sandbox.counters().pendingFaults.xledger).toBe(4);
    const res = await fetch(`${sandbox.url}/__sandbox/reset`, { method: "POST" });
    expect(res.status).toBe(200);
    expect(sandbox.counters().pendingFaults).toEqual({ xledger: 0, dynamics: 0 });
  });

  it("answers unknown paths with a JSON 404", async () => {
    const res = await fetch(`${sandbox.url}/__sandbox/nothing`, { method: "POST" });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    expect((await fetch(`${sandbox.url}/elsewhere`)).status).toBe(404);
  });
});
