/**
 * Polls `check` until it returns a value other than undefined/false, or fails after `attempts`
 * polls. Bounded polling, never a timed assertion: the bound only decides when to give up.
 * @example const event = await waitFor(() => events.find((e) => e.id === runId));
 */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  {
    attempts = 400,
    intervalMs = 25,
    what = "condition",
  }: { attempts?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`waitFor: ${what} not reached after ${attempts} polls`);
}
