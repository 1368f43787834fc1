import type { z } from "zod";

/** Reads a flag's value from the command line first, then the environment. */
export function flagOrEnv(flags: Record<string, unknown>, flag: string, env: string): unknown {
  const value = flags[flag];
  return value !== undefined ? value : process.env[env];
}

/** Formats zod issues as one line per bad option, naming the option as its flag (`leaseSeconds` → `--lease-seconds`). */
export function describeIssues(error: z.ZodError): string {
  const flag = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return error.issues.map((i) => `  --${flag(i.path.join("."))}: ${i.message}`).join("\n");
}
