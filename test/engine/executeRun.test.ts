import { describe, expect, it } from "vitest";
import type { Db } from "../../src/db/types.ts";
import { workerConfigSchema } from "../../src/engine/config.ts";
import { silentLogger } from "../../src/engine/observe/logger.ts";
import { noMetrics } from "../../src/engine/observe/metrics.ts";
import { type ExecuteDeps, executeRun } from "../../src/engine/run/executeRun.ts";
import type { ClaimedRun } from "../../src/engine/types.ts";

const run = {
  id: "00000000-0000-4000-8000-000000000001",
  attempt: 1,
  integration_type: "xledger",
  triggered_by: "scheduled",
} as ClaimedRun;

/** A database error as both drivers report it. */
const dbError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code });

function deps(complete: ExecuteDeps["complete"]): ExecuteDeps {
  return {
    db: {} as Db,
    executor: async () => ({ kind: "succeeded", recordsExported: 3 }),
    workerId: "w1",
    config: workerConfigSchema.parse({}),
    log: silentLogger,
    metrics: noMetrics,
    complete,
  };
}

describe("executeRun records the outcome", () => {
  it("again when the recording statement was a deadlock victim or a serialization failure", async () => {
    const failures = [dbError("40P01"), dbError("40001")];
    const calls: number[] = [];
    const result = await executeRun(
      deps(async (_run, records) => {
        calls.push(records);
        const failure = failures.shift();
        if (failure) throw failure;
        return true;
      }),
      run,
      new AbortController(),
    );
    expect(result).toBe("succeeded");
    expect(calls).toEqual([3, 3, 3]);
  });

  it("gives up after three tries, and at once on an error that is not transient", async () => {
    let calls = 0;
    const always = deps(async () => {
      calls++;
      throw dbError("40P01");
    });
    await expect(executeRun(always, run, new AbortController())).rejects.toMatchObject({ code: "40P01" });
    expect(calls).toBe(3);

    calls = 0;
    const broken = deps(async () => {
      calls++;
      throw dbError("22003");
    });
    await expect(executeRun(broken, run, new AbortController())).rejects.toMatchObject({ code: "22003" });
    expect(calls).toBe(1);
  });

  it("says the attempt ended, as lost, when its outcome cannot be recorded", async () => {
    const said: Array<Record<string, unknown>> = [];
    const logger = {
      ...silentLogger,
      info: (e: object) => said.push(e as Record<string, unknown>),
      child: () => logger,
    };
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    const down = {
      ...deps(async () => {
        throw refused;
      }),
      log: logger,
    };
    await expect(executeRun(down, run, new AbortController())).rejects.toBe(refused);
    expect(said.map((e) => e.event)).toEqual(["run_started", "run_attempt_ended"]);
    expect(said[1]).toMatchObject({ result: "lost", outcome: "succeeded", work_ms: expect.any(Number) });
  });
});
