import type { EngineLogger } from "./logger.ts";

/** pino's level names, lowest first. */
const LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LEVELS)[number];

/**
 * A dependency-free {@link EngineLogger} writing one JSON object per line in the same shape the Node
 * commands log with pino (`{"level":"info","time":"<ISO>",…bindings,…fields}`). For runtimes where
 * pino is not wanted: the Edge Function, whose platform collects stdout line by line.
 *
 * @example
 * const log = createJsonLogger({ level: "info" });
 * log.child({ worker_id: "edge-1" }).info({ event: "cold_start" });
 */
export function createJsonLogger(
  options: {
    level?: LogLevel | undefined;
    /** Where a line goes; default `console.log`. */
    write?: ((line: string) => void) | undefined;
    bindings?: Record<string, unknown> | undefined;
  } = {},
): EngineLogger {
  const min = LEVELS.indexOf(options.level ?? "info");
  const write = options.write ?? ((line: string) => console.log(line));
  const bindings = options.bindings ?? {};
  const at =
    (level: LogLevel) =>
    (obj: object, msg?: string): void => {
      if (LEVELS.indexOf(level) < min) return;
      const line = { level, time: new Date().toISOString(), ...bindings, ...obj, ...(msg ? { msg } : {}) };
      try {
        write(JSON.stringify(line));
      } catch {
        // A value JSON cannot encode (a BigInt, a cycle) must not take the worker down with it.
        write(JSON.stringify({ level, time: line.time, event: "log_unserializable" }));
      }
    };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (more) => createJsonLogger({ ...options, bindings: { ...bindings, ...more } }),
  };
}
