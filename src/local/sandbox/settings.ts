/**
 * Ready-made `organization_integrations.config` + credentials pointing at a running sandbox, for seeds,
 * demos and tests (shapes validated by src/integrations/config.ts).
 */
import {
  SANDBOX_BC_CLIENT_ID,
  SANDBOX_BC_CLIENT_SECRET,
  SANDBOX_BC_COMPANY_ID,
  SANDBOX_BC_JOURNAL_ID,
} from "./dynamics/data.ts";
import { SANDBOX_XLEDGER_TOKEN } from "./xledger/server.ts";

/** Config and credentials for both integrations against the sandbox at `url`. */
export interface SandboxIntegrationSettings {
  xledger: { config: { base_url: string }; credentials: { token: string } };
  dynamics: {
    config: {
      base_url: string;
      token_url: string;
      tenant_id: string;
      environment: string;
      company_id: string;
      journal_id: string;
    };
    credentials: { client_id: string; client_secret: string };
  };
}

/**
 * Settings for a sandbox base URL such as `http://127.0.0.1:4010`.
 *
 * @example
 * const { xledger } = sandboxIntegrationSettings(sandbox.url);
 * const adapter = createAdapter("xledger", xledger.config, xledger.credentials);
 */
export function sandboxIntegrationSettings(url: string): SandboxIntegrationSettings {
  const base = url.replace(/\/+$/, "");
  return {
    xledger: { config: { base_url: `${base}/xledger` }, credentials: { token: SANDBOX_XLEDGER_TOKEN } },
    dynamics: {
      config: {
        base_url: `${base}/bc`,
        token_url: `${base}/bc/oauth2/v2.0/token`,
        // API root becomes <base>/bc/v2.0/sandbox-tenant/sandbox/api/v2.0, BC online's URL shape.
        tenant_id: "sandbox-tenant",
        environment: "sandbox",
        company_id: SANDBOX_BC_COMPANY_ID,
        journal_id: SANDBOX_BC_JOURNAL_ID,
      },
      credentials: { client_id: SANDBOX_BC_CLIENT_ID, client_secret: SANDBOX_BC_CLIENT_SECRET },
    },
  };
}
