/**
 * Builds the adapter for an `organization_integrations` row: validates its non-secret `config` and its
 * credentials with zod, then wires the type's client. The engine's only entry point into integrations.
 */
import type { z } from "zod";
import {
  dynamicsApiRoot,
  dynamicsConfigSchema,
  dynamicsCredentialsSchema,
  dynamicsTokenUrl,
  xledgerConfigSchema,
  xledgerCredentialsSchema,
  xledgerEndpoint,
} from "./config.ts";
import type { RequestBudgetOptions } from "./dynamics/budget.ts";
import { DynamicsAdapter } from "./dynamics/client.ts";
import { IntegrationError } from "./errors.ts";
import type { ReconcileReader } from "./reconcile.ts";
import type { IntegrationAdapter, IntegrationType } from "./types.ts";
import { XledgerAdapter } from "./xledger/client.ts";

/** Runtime knobs that are not part of the stored config (tests, benchmarks, Edge Function budgets). */
export interface AdapterOptions {
  /** Per-request deadline in ms; default 30 000. */
  timeoutMs?: number;
  /** Lookup page size (Xledger `first`, BC `odata.maxpagesize`); defaults 500 / 1 000. */
  pageSize?: number;
  /** References per lookup request; defaults 500 (Xledger) / 25 (BC). */
  lookupChunkSize?: number;
  /** Entries per export call; default 100 for both. */
  maxBatchSize?: number;
  /** Business Central client-side budget; default 5,000 requests per 300 s. */
  budget?: RequestBudgetOptions;
  /** Clock; default `Date.now`. */
  now?: () => number;
  /** Xledger: try the `extIdentifier_in` look-up first; default true (a refusal falls back by itself). */
  lookupFastPath?: boolean;
  /** Page size of read-back scans (reconciliation); defaults 10 000 (Xledger's cap) / 5 000 (BC). */
  reconcilePageSize?: number;
}

/**
 * Creates the adapter for one integration. Throws `IntegrationError("invalid_config")` (not retryable) when
 * the type is unknown or the config/credentials do not validate; the message names fields, never values.
 *
 * @example
 * const adapter = createAdapter("xledger", { base_url: "https://demo.xledger.net" }, { token });
 * await adapter.ping({ signal: AbortSignal.timeout(60_000) });
 */
export function createAdapter(
  type: IntegrationType | string,
  config: unknown,
  credentials: unknown,
  opts: AdapterOptions = {},
): IntegrationAdapter & ReconcileReader {
  const common = {
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    ...(opts.pageSize === undefined ? {} : { pageSize: opts.pageSize }),
    ...(opts.lookupChunkSize === undefined ? {} : { lookupChunkSize: opts.lookupChunkSize }),
    ...(opts.maxBatchSize === undefined ? {} : { maxBatchSize: opts.maxBatchSize }),
    ...(opts.now === undefined ? {} : { now: opts.now }),
    ...(opts.reconcilePageSize === undefined ? {} : { reconcilePageSize: opts.reconcilePageSize }),
  };
  switch (type) {
    case "xledger": {
      const cfg = validate(xledgerConfigSchema, config, "xledger config");
      const secret = validate(xledgerCredentialsSchema, credentials, "xledger credentials");
      return new XledgerAdapter({
        endpoint: xledgerEndpoint(cfg),
        token: secret.token,
        transactionSource: cfg.transaction_source,
        jobLevel:
          "db_id" in cfg.job_level ? { dbId: cfg.job_level.db_id } : { dbSubId: cfg.job_level.db_sub_id },
        ...(cfg.tr_reg_number === undefined ? {} : { trRegNumber: cfg.tr_reg_number }),
        ...(cfg.base_currency === undefined ? {} : { baseCurrency: cfg.base_currency }),
        foreignCurrency: cfg.foreign_currency,
        ...(opts.lookupFastPath === undefined ? {} : { lookupFastPath: opts.lookupFastPath }),
        ...common,
      });
    }
    case "dynamics": {
      const cfg = validate(dynamicsConfigSchema, config, "dynamics config");
      const secret = validate(dynamicsCredentialsSchema, credentials, "dynamics credentials");
      return new DynamicsAdapter({
        apiRoot: dynamicsApiRoot(cfg),
        tokenUrl: dynamicsTokenUrl(cfg),
        clientId: secret.client_id,
        clientSecret: secret.client_secret,
        companyId: cfg.company_id,
        journal: cfg.journal_id !== undefined ? { id: cfg.journal_id } : { code: cfg.journal_code ?? "" },
        ...(cfg.local_currency === undefined ? {} : { localCurrency: cfg.local_currency }),
        ...(cfg.balancing_account_number === undefined
          ? {}
          : { balancingAccountNumber: cfg.balancing_account_number }),
        ...(opts.budget === undefined ? {} : { budget: opts.budget }),
        ...common,
      });
    }
    default:
      throw new IntegrationError("invalid_config", `unknown integration type ${JSON.stringify(type)}`);
  }
}

function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // Paths and zod's messages only: credential values must never reach logs or sync_run_log.error_message.
  const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  throw new IntegrationError("invalid_config", `invalid ${what}: ${problems.join("; ")}`);
}
