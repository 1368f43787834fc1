/** The logging surface the engine needs; a pino logger satisfies it, and so does {@link silentLogger}. */
export interface EngineLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): EngineLogger;
}

/** Discards everything (tests, library use). */
export const silentLogger: EngineLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** The fields every log line about a run carries. */
export function runBindings(run: { id: string; org_id: string; integration_type: string; attempt: number }) {
  return { run_id: run.id, org_id: run.org_id, integration: run.integration_type, attempt: run.attempt };
}
