import type { Queryable } from "../../db/types.ts";
import { type AdapterOptions, createAdapter } from "../../integrations/registry.ts";
import type { IntegrationAdapter } from "../../integrations/types.ts";
import { loadIntegrationRuntime } from "./exportSql.ts";

/** Why an integration cannot be called at all; the same code whether a run or a health ping asked. */
export type UnavailableCode = "integration_not_found" | "integration_disabled" | "credentials_missing";

/**
 * An integration that cannot be called: gone, turned off, or without stored credentials. Not an
 * {@link IntegrationError} — nothing was sent, and retrying will not help until someone acts.
 */
export class IntegrationUnavailableError extends Error {
  readonly code: UnavailableCode;

  constructor(code: UnavailableCode, message: string) {
    super(message);
    this.name = "IntegrationUnavailableError";
    this.code = code;
  }
}

/**
 * The adapter for one integration, built from its stored type, config and decrypted credentials:
 * the one loader the export executor and the health ping share. Throws
 * {@link IntegrationUnavailableError} when the integration is gone, disabled or has no
 * credentials, and IntegrationError("invalid_config") — not retryable — when its config or
 * credentials do not validate.
 *
 * @example
 * const adapter = await loadAdapter(db, run.integration_id);
 */
export async function loadAdapter(
  db: Queryable,
  integrationId: string,
  options?: AdapterOptions,
): Promise<IntegrationAdapter> {
  const runtime = await loadIntegrationRuntime(db, integrationId);
  if (runtime === null)
    throw new IntegrationUnavailableError("integration_not_found", "The integration no longer exists.");
  if (!runtime.enabled) {
    throw new IntegrationUnavailableError(
      "integration_disabled",
      "The integration was turned off; nothing more is exported.",
    );
  }
  if (runtime.credentials === null || runtime.credentials === undefined) {
    throw new IntegrationUnavailableError(
      "credentials_missing",
      `No credentials are stored for this ${runtime.integrationType} integration; set them with sync_engine.set_integration_credentials.`,
    );
  }
  return createAdapter(runtime.integrationType, runtime.config, runtime.credentials, options);
}
