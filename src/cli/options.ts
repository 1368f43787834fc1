import { parseArgs } from "node:util";
import type { z } from "zod";

/**
 * A command's options, with the zod schemas as their one source: each key is an option, its flag is
 * the key in kebab case (`leaseSeconds` → `--lease-seconds`), `env` names its environment variable,
 * `.describe()` is its help text, and the schema's default and bounds are printed from the schema.
 * Each schema validates on its own, so a refined engine schema (workerConfigSchema) is used as is.
 */
export interface CommandSpec<S extends readonly z.ZodObject[] = readonly z.ZodObject[]> {
  name: string;
  /** One line, shown in `sync-scheduler --help` and above the options in `<command> --help`. */
  summary: string;
  schemas: S;
  /** The environment variable of each option that has one. */
  env: Readonly<Record<string, string>>;
}

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void
  ? I
  : never;
export type CommandOptions<S extends readonly z.ZodObject[]> = UnionToIntersection<z.output<S[number]>>;

export type ReadResult<T> =
  | { ok: true; options: T }
  | { ok: false; exitCode: 0 | 2; stdout?: string; stderr?: string };

/** `leaseSeconds` → `lease-seconds`. */
export function flagOf(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

interface Field {
  key: string;
  flag: string;
  env: string | undefined;
  boolean: boolean;
  schema: z.ZodType;
}

function fieldsOf(spec: CommandSpec): Field[] {
  return spec.schemas.flatMap((schema) =>
    Object.entries(schema.shape as Record<string, z.ZodType>).map(([key, field]) => ({
      key,
      flag: flagOf(key),
      env: spec.env[key],
      boolean: innermost(field).def.type === "boolean",
      schema: field,
    })),
  );
}

function innermost(field: z.ZodType): z.ZodType {
  let f = field;
  while ((f.def.type === "default" || f.def.type === "optional") && "unwrap" in f) {
    f = (f as unknown as { unwrap(): z.ZodType }).unwrap();
  }
  return f;
}

/** `--lease-seconds N  (SYNC_LEASE_SECONDS; default 60; 5–3600)` and the description under it. */
function describeField(f: Field): string {
  const inner = innermost(f.schema) as z.ZodType & { minValue?: number | null; maxValue?: number | null };
  const placeholder = f.boolean
    ? ""
    : inner.def.type === "number"
      ? " N"
      : /Url$/.test(f.key)
        ? " URL"
        : /Dir$/.test(f.key)
          ? " DIR"
          : " TEXT";
  const notes: string[] = [];
  if (f.env) notes.push(f.env);
  if (f.schema.def.type === "default") {
    notes.push(
      `default ${JSON.stringify((f.schema.def as unknown as { defaultValue: unknown }).defaultValue)}`,
    );
  } else if (f.schema.def.type !== "optional") {
    notes.push("required");
  }
  // `.int()` alone bounds a number by ±MAX_SAFE_INTEGER: not a limit worth printing.
  const bound = (v: number | null | undefined) =>
    typeof v === "number" && Math.abs(v) < Number.MAX_SAFE_INTEGER ? v : undefined;
  const min = bound(inner.minValue);
  const max = bound(inner.maxValue);
  if (min !== undefined && max !== undefined) notes.push(`${min}–${max}`);
  else if (min !== undefined) notes.push(`≥ ${min}`);
  const head = `  --${f.flag}${placeholder}${notes.length ? `  (${notes.join("; ")})` : ""}`;
  return f.schema.description ? `${head}\n      ${f.schema.description}` : head;
}

/** The text of `sync-scheduler <command> --help`. */
export function commandHelp(spec: CommandSpec): string {
  const fields = fieldsOf(spec);
  return [
    `Usage: sync-scheduler ${spec.name} [options]`,
    "",
    spec.summary,
    "",
    "Options (each also as the environment variable named; a flag wins over the environment, and an",
    "empty variable counts as not set):",
    ...fields.map(describeField),
    "  --help, -h",
    "",
  ].join("\n");
}

/**
 * Reads a command's options from its flags, then the environment, and validates them with the
 * schemas. Every problem names the option's flag, and its variable when the value came from there.
 * @example const r = readOptions(workerSpec, ["--concurrency", "8"], process.env);
 */
export function readOptions<S extends readonly z.ZodObject[]>(
  spec: CommandSpec<S>,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ReadResult<CommandOptions<S>> {
  const fields = fieldsOf(spec);
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        help: { type: "boolean", short: "h" },
        ...Object.fromEntries(
          fields.map((f) => [f.flag, { type: f.boolean ? "boolean" : "string" } as const]),
        ),
      },
    }).values;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      exitCode: 2,
      stderr: `sync-scheduler ${spec.name}: ${reason}\nSee \`sync-scheduler ${spec.name} --help\`.\n`,
    };
  }
  if (values.help) return { ok: false, exitCode: 0, stdout: commandHelp(spec) };

  const fromEnv = new Map<string, string>();
  const raw: Record<string, unknown> = {};
  for (const f of fields) {
    const flag = values[f.flag];
    const fromVariable = f.env === undefined || env[f.env] === "" ? undefined : env[f.env];
    if (flag !== undefined) raw[f.key] = flag;
    else if (fromVariable !== undefined && f.env) {
      raw[f.key] = f.boolean ? ["1", "true", "yes"].includes(fromVariable.toLowerCase()) : fromVariable;
      fromEnv.set(f.key, `${f.env}=${fromVariable}`);
    }
  }

  const options: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const schema of spec.schemas) {
    const part = Object.fromEntries(Object.keys(schema.shape).map((k) => [k, raw[k]]));
    const result = schema.safeParse(part);
    if (result.success) {
      Object.assign(options, result.data);
      continue;
    }
    for (const issue of result.error.issues) {
      const key = String(issue.path[0] ?? "");
      const field = fields.find((f) => f.key === key);
      const name = field ? `--${field.flag}` : key;
      const missing = raw[key] === undefined && issue.code === "invalid_type";
      const message = missing
        ? `required: pass ${name}${field?.env ? ` or set ${field.env}` : ""}`
        : issue.message;
      const source = fromEnv.get(key);
      problems.push(`  ${name}: ${message}${source ? ` (from ${source})` : ""}`);
    }
  }
  if (problems.length > 0) {
    return {
      ok: false,
      exitCode: 2,
      stderr: `sync-scheduler ${spec.name}: invalid options\n${problems.join("\n")}\n`,
    };
  }
  return { ok: true, options: options as CommandOptions<S> };
}

/**
 * {@link readOptions} on process.argv/env for a command: prints help or problems and gives the exit
 * code, or gives the options.
 * @example const o = parseCommand(startSpec, argv); if (typeof o === "number") return o;
 */
export function parseCommand<S extends readonly z.ZodObject[]>(
  spec: CommandSpec<S>,
  argv: readonly string[],
): CommandOptions<S> | number {
  const result = readOptions(spec, argv, process.env);
  if (result.ok) return result.options;
  if (result.stdout) process.stdout.write(result.stdout);
  if (result.stderr) process.stderr.write(result.stderr);
  return result.exitCode;
}
