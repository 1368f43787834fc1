/** Public surface of the integrations layer (runtime-neutral: Node and Deno). */
export type { RequestBudgetOptions } from "./dynamics/budget.ts";
export { DynamicsAdapter, type DynamicsAdapterOptions } from "./dynamics/client.ts";
export {
  IntegrationError,
  type IntegrationErrorCode,
  isIntegrationError,
  isRetryableCode,
} from "./errors.ts";
export {
  type ActualLine,
  type ExpectedEntry,
  isReconcileReader,
  type PostingPeriod,
  type ReconcileContext,
  type ReconcileReader,
} from "./reconcile.ts";
export { type AdapterOptions, createAdapter } from "./registry.ts";
export type {
  AdapterContext,
  ExportEntry,
  ExportedEntry,
  IntegrationAdapter,
  IntegrationType,
  LookupContext,
  RequestPurpose,
} from "./types.ts";
export { XledgerAdapter, type XledgerAdapterOptions } from "./xledger/client.ts";
