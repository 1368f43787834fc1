/** How {@link waitFor} polls. */
export interface WaitForOptions<T> {
  /** Done when this holds for the checked value; default: the value is neither undefined nor false. */
  until?: (value: T) => boolean;
  /** Give up after this long (a bound, never a timed assertion). Default 20 s. */
  timeoutMs?: number;
  /** Pause between checks. Default 25 ms. */
  intervalMs?: number;
  /** Named in the failure message. */
  what?: string;
}

/**
 * Polls `check` until its value is done — `until(value)` holds, or by default the value is neither
 * undefined nor false — and returns that value; fails after `timeoutMs`. The one polling helper of
 * the test suites: bounded polling, never a timed assertion (the bound only decides when to give up).
 * @example const event = await waitFor(() => events.find((e) => e.id === runId));
 * @example const row = await waitFor(() => status(runId), { until: (r) => r?.status === "succeeded" });
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: WaitForOptions<T> & { until: (value: T) => boolean },
): Promise<T>;
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options?: WaitForOptions<T | undefined | false>,
): Promise<T>;
export async function waitFor<T>(
  check: () => T | Promise<T>,
  {
    until = (value) => value !== undefined && value !== false,
    timeoutMs = 20_000,
    intervalMs = 25,
    what = "condition",
  }: WaitForOptions<T> = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (until(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `waitFor: ${what} not reached within ${timeoutMs} ms; last value ${JSON.stringify(value)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
