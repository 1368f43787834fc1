import type { Queryable } from "../../db/types.ts";
import type { RequestPurpose } from "../../integrations/types.ts";
import { loadAdapter } from "../export/loadAdapter.ts";

/**
 * The health monitor's ping: the adapter's cheapest call (`query { __typename }` for Xledger,
 * `GET companies?$top=1` for Business Central), with the integration's stored config and credentials;
 * every request it makes (a token request too) is reported to `onRequest`.
 * An integration that cannot be called fails the ping with the export's code (see loadAdapter).
 * @example await pingIntegration(db, { id: integrationId, integration_type: "xledger" }, AbortSignal.timeout(30_000));
 */
export async function pingIntegration(
  db: Queryable,
  integration: { id: string; integration_type: string },
  signal: AbortSignal,
  onRequest?: (purpose: RequestPurpose) => void,
): Promise<void> {
  const adapter = await loadAdapter(db, integration.id);
  await adapter.ping({ signal, onRequest });
}
