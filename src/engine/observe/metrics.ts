/**
 * What the engine reports. The runtime-neutral core calls this interface; the Node worker
 * backs it with prom-client (promMetrics.ts), the Edge Function with nothing.
 */
export interface EngineMetrics {
  runClaimed(integration: string, triggeredBy: string, dispatchLatencySeconds: number): void;
  runFinished(integration: string, triggeredBy: string, status: string, durationSeconds: number): void;
  runRetried(integration: string, code: string): void;
  drift(integration: string, driftSeconds: number, alerted: boolean): void;
  reaped(count: number): void;
  externalApiError(integration: string, code: string): void;
  healthCheck(integration: string, status: string, mode: string): void;
  /** One HTTP request to an accounting API, by why it was made (export, lookup, ping, token). */
  apiRequest(integration: string, purpose: string): void;
  scheduled(outcome: string, count: number): void;
  /** The worker Edge Function served a dispatch or sweep from a cold isolate (no warm-up before it). */
  coldStart(kind: string): void;
}

export const noMetrics: EngineMetrics = {
  runClaimed() {},
  runFinished() {},
  runRetried() {},
  drift() {},
  reaped() {},
  externalApiError() {},
  healthCheck() {},
  apiRequest() {},
  scheduled() {},
  coldStart() {},
};
