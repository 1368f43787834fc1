import pino from "pino";

/**
 * One JSON object per line on stdout, the format every command logs in: `{"level":"info","time":…,"event":…}`.
 * @example const log = createLogger(); log.info({ event: "ready" });
 */
export function createLogger(level = process.env.LOG_LEVEL ?? "info") {
  return pino({
    level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
