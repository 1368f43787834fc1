/** The export executor's error policy, on its own (no database, no sandbox). */
import { describe, expect, it } from "vitest";
import { DEFAULT_SNOOZE_POLICY, errorOutcome, snoozeOutcome } from "../../src/engine/export/exportOutcome.ts";
import { IntegrationError } from "../../src/integrations/errors.ts";

const limited = (retryAfterSeconds?: number) =>
  new IntegrationError(
    "rate_limited",
    "HTTP 429",
    retryAfterSeconds === undefined ? {} : { retryAfterSeconds },
  );

describe("snoozeOutcome", () => {
  it("honours the server's delay on the first snooze and never charges an attempt within the budget", () => {
    expect(snoozeOutcome(limited(42), 1)).toMatchObject({
      kind: "retry",
      code: "rate_limited",
      retryAfterSeconds: 42,
      chargeAttempt: false,
    });
  });

  it("escalates 1, 2, 4 … s without a server delay, capped at one hour", () => {
    const delays = [1, 2, 3, 4, 12, 13, 20].map((n) => {
      const o = snoozeOutcome(limited(), n);
      return o.kind === "retry" ? o.retryAfterSeconds : undefined;
    });
    expect(delays).toEqual([1, 2, 4, 8, 2048, 3600, 3600]);
    const far = snoozeOutcome(limited(30 * 86_400), 1);
    expect(far.kind === "retry" && far.retryAfterSeconds).toBe(3600);
  });

  it("charges an attempt once the consecutive budget is spent", () => {
    const n = DEFAULT_SNOOZE_POLICY.maxFreeSnoozes;
    expect(snoozeOutcome(limited(), n)).toMatchObject({ chargeAttempt: false });
    expect(snoozeOutcome(limited(), n + 1)).toMatchObject({ chargeAttempt: true });
  });
});

describe("errorOutcome", () => {
  it("fails on non-retryable errors with their code", () => {
    expect(errorOutcome(new IntegrationError("unauthorized", "bad token"))).toEqual({
      kind: "failed",
      code: "unauthorized",
      message: "bad token",
    });
  });

  it("retries retryable errors, charging the attempt and keeping a Retry-After", () => {
    expect(errorOutcome(new IntegrationError("server_error", "503", { retryAfterSeconds: 7 }))).toEqual({
      kind: "retry",
      code: "server_error",
      message: "503",
      retryAfterSeconds: 7,
    });
    expect(errorOutcome(new IntegrationError("network", "reset"))).toEqual({
      kind: "retry",
      code: "network",
      message: "reset",
    });
  });
});
