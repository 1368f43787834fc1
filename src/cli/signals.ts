/** Resolves at the first Ctrl-C (SIGINT) or SIGTERM: how the foreground commands know to stop. */
export function stopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}
