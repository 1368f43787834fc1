import type { z } from "zod";

/** Reads a flag's value from the command line first, then the environment. */
export function flagOrEnv(flags: Record<string, unknown>, flag: string, env: string): unknown {
  const value = flags[flag];
  return value !== undefined ? value : process.env[env];
}

/** Formats zod issues as one line per bad option, naming the option. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `  --${i.path.join(".")}: ${i.message}`).join("\n");
}
