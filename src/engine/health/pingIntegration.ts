import type { Queryable } from "../../db/types.ts";
import { IntegrationError } from "../../integrations/errors.ts";
import { createAdapter } from "../../integrations/registry.ts";
import type { RequestPurpose } from "../../integrations/types.ts";
import { loadIntegrationRuntime } from "../export/exportSql.ts";

/**
 * The health monitor's ping: the adapter's cheapest call (`query { __typename }` for Xledger,
 * `GET companies?$top=1` for Business Central), with the integration's stored config and credentials;
 * every request it makes (a token request too) is reported to `onRequest`.
 * @example await pingIntegration(db, { id: integrationId, integration_type: "xledger" }, AbortSignal.timeout(30_000));
 */
export async function pingIntegration(
  db: Queryable,
  integration: { id: string; integration_type: string },
  signal: AbortSignal,
  onRequest?: (purpose: RequestPurpose) => void,
): Promise<void> {
  const runtime = await loadIntegrationRuntime(db, integration.id);
  if (!runtime)
    throw new IntegrationError("not_found", "The integration no longer exists.", { retryable: false });
  if (runtime.credentials === null || runtime.credentials === undefined) {
    throw new IntegrationError("invalid_config", "No credentials are stored for this integration.", {
      retryable: false,
    });
  }
  const adapter = createAdapter(runtime.integrationType, runtime.config, runtime.credentials);
  await adapter.ping({ signal, onRequest });
}
