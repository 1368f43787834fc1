/**
 * The typed, validated shape of `organization_integrations.config` (non-secret) and of the stored
 * credentials, per integration type. Every option's default is written next to it.
 */
import { z } from "zod";

// The regex repeats what the URL check implies so the generated JSON Schema (which has no notion of
// zod's protocol option) carries it to SQL; a string passing both is an http(s) URL in either place.
const httpUrl = z
  .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
  .regex(/^https?:\/\/[^\s/?#]+([/?#]\S*)?$/, { error: "must be an http(s) URL" });

/**
 * A cross-field rule, enforced here and exported to the JSON Schema that SQL evaluates (see
 * src/integrations/configSchema.ts): "at least one of these keys" (`anyOf` of `required`), or
 * "when this key matches this pattern, that key is required" (`if`/`then`). A plain `.refine` would
 * be invisible to SQL: write cross-field rules through this helper.
 */
type CrossFieldRule =
  | { keys: readonly [string, ...string[]]; message: string }
  | { when: { key: string; pattern: RegExp }; require: string; message: string };

function withCrossFieldRules<T extends z.ZodObject>(schema: T, rules: readonly CrossFieldRule[]) {
  return schema
    .superRefine((value, ctx) => {
      const v = value as Record<string, unknown>;
      for (const rule of rules) {
        if ("keys" in rule) {
          if (!rule.keys.some((k) => v[k] !== undefined))
            ctx.addIssue({ code: "custom", message: rule.message, path: [rule.keys[0]] });
        } else {
          const probe = v[rule.when.key];
          if (typeof probe === "string" && rule.when.pattern.test(probe) && v[rule.require] === undefined)
            ctx.addIssue({ code: "custom", message: rule.message, path: [rule.require] });
        }
      }
    })
    .meta({
      allOf: rules.map((r) =>
        "keys" in r
          ? { anyOf: r.keys.map((k) => ({ required: [k] })), description: r.message }
          : {
              if: {
                properties: { [r.when.key]: { pattern: r.when.pattern.source } },
                required: [r.when.key],
              },
              // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then, not a thenable.
              then: { required: [r.require] },
              description: r.message,
            },
      ),
    });
}

/**
 * BC online's API host (Microsoft Learn, "Endpoints for the APIs for Dynamics 365 Business Central
 * online"); any other host is on-premises or the sandbox. Flag-free so SQL's `~` reads it the same way.
 */
const BC_ONLINE_BASE_URL =
  /^https:\/\/[Aa][Pp][Ii]\.[Bb][Uu][Ss][Ii][Nn][Ee][Ss][Ss][Cc][Ee][Nn][Tt][Rr][Aa][Ll]\.[Dd][Yy][Nn][Aa][Mm][Ii][Cc][Ss]\.[Cc][Oo][Mm](?:[/:?#]|$)/;

const currencyCode = z.string().regex(/^[A-Z]{3}$/, { error: "must be an ISO 4217 code like NOK" });
// Xledger's trRegNumber and dbIds are GraphQL Int: 32-bit signed.
const graphqlInt = z.int().min(0).max(2_147_483_647);

/**
 * Xledger `config`:
 * - `base_url` (required): the Xledger host, e.g. `https://www.xledger.net` (live) or
 *   `https://demo.xledger.net`; `/graphql` is appended unless already present. Sandbox: `http://<host>:<port>/xledger`.
 * - `transaction_source` (default `"GL"`): transaction source code for imported GL items.
 * - `job_level` (default `{"db_sub_id": 1}`, as the public examples send `jobLevel:{dbSubId:1}`): the GL import
 *   job level, by `db_sub_id` or by `db_id` (the job's own dbId, `jobLevel:{dbId:…}`).
 * - `tr_reg_number` (optional Int): one registration number for every item (a batch number, as community
 *   importers send, e.g. `20250201`); default: each voucher's own — its number when that is an Int, else a
 *   stable 31-bit hash of it (docs/export-pipeline.md "Xledger items").
 * - `base_currency` (optional, ISO 4217): the company's base currency. When set, an entry in another currency
 *   is refused before anything is sent unless `foreign_currency` is `"invoice_amount"` (docs/export-pipeline.md).
 * - `foreign_currency` (default `"refuse"`): `"invoice_amount"` sends a foreign amount as `invoiceAmount` with
 *   its `currency` and no base `amount`, leaving the conversion to Xledger.
 * - `monthly_request_allowance` (default 5,000, Xledger's included GraphQL requests a month): what the health
 *   monitor's ping budget is a share of.
 */
export const xledgerConfigSchema = z.object({
  base_url: httpUrl,
  transaction_source: z.string().min(1).default("GL"),
  job_level: z
    .union([z.strictObject({ db_sub_id: graphqlInt }), z.strictObject({ db_id: graphqlInt })])
    .default({ db_sub_id: 1 }),
  tr_reg_number: graphqlInt.optional(),
  base_currency: currencyCode.optional(),
  foreign_currency: z.enum(["refuse", "invoice_amount"]).default("refuse"),
  monthly_request_allowance: z.int().min(1).default(5_000),
});

/** Xledger credentials: `{"token":"…"}`. */
export const xledgerCredentialsSchema = z.object({ token: z.string().min(1) });

/**
 * Business Central `config`:
 * - `base_url` (required): the API host, e.g. `https://api.businesscentral.dynamics.com`; the API root becomes
 *   `<base_url>/v2.0/<tenant_id>/<environment>/api/v2.0` (or `<base_url>/v2.0/<environment>/api/v2.0`
 *   without a tenant, or `<base_url>/api/v2.0` with neither). Sandbox: `http://<host>:<port>/bc`.
 * - `tenant_id` (optional): Entra tenant id or domain.
 * - `environment` (optional): BC environment name, e.g. `production`.
 * - `token_url` (default `https://login.microsoftonline.com/<tenant_id>/oauth2/v2.0/token`; required
 *   when there is no `tenant_id`). Sandbox: `http://<host>:<port>/bc/oauth2/v2.0/token`.
 * - `company_id` (required): the company GUID.
 * - `journal_id` (GUID) or `journal_code` (e.g. `"GENERAL"`): the general journal receiving the lines;
 *   one of the two is required, `journal_id` wins when both are given.
 * - `local_currency` (optional, ISO 4217): when set, entries in another currency are refused instead of
 *   being booked in the company's currency (BC v2.0 journal lines carry no currency).
 * - `balancing_account_number` (optional, G/L account, Code[20], stored upper-case): put on every line as
 *   "Bal. Account No."; without it lines carry no balancing account (vouchers balance by themselves).
 * `environment` is required for BC online (`api.businesscentral.dynamics.com`): without it the URL would
 * take the on-premises form, which the online service does not serve.
 */
export const dynamicsConfigSchema = withCrossFieldRules(
  z.object({
    base_url: httpUrl,
    tenant_id: z.string().min(1).optional(),
    environment: z.string().min(1).optional(),
    token_url: httpUrl.optional(),
    company_id: z.guid(),
    journal_id: z.guid().optional(),
    journal_code: z.string().min(1).max(10).optional(),
    local_currency: z
      .string()
      .regex(/^[A-Z]{3}$/)
      .optional(),
    // Code[20] (APIV2JournalLines.Page.al, "Bal. Account No."); BC upper-cases Code fields.
    balancing_account_number: z
      .string()
      .trim()
      .min(1)
      .max(20)
      .transform((v) => v.toUpperCase())
      .optional(),
  }),
  [
    {
      when: { key: "base_url", pattern: BC_ONLINE_BASE_URL },
      require: "environment",
      message: "environment is required for Business Central online (api.businesscentral.dynamics.com)",
    },
    { keys: ["journal_id", "journal_code"], message: "journal_id or journal_code is required" },
    { keys: ["token_url", "tenant_id"], message: "token_url is required when tenant_id is not given" },
  ],
);

/** Business Central credentials: `{"client_id":"…","client_secret":"…"}`. */
export const dynamicsCredentialsSchema = z.object({
  client_id: z.string().min(1),
  client_secret: z.string().min(1),
});

export type XledgerConfig = z.infer<typeof xledgerConfigSchema>;
export type XledgerCredentials = z.infer<typeof xledgerCredentialsSchema>;
export type DynamicsConfig = z.infer<typeof dynamicsConfigSchema>;
export type DynamicsCredentials = z.infer<typeof dynamicsCredentialsSchema>;

/**
 * The Xledger GraphQL endpoint for a config.
 *
 * @example
 * xledgerEndpoint({ base_url: "https://demo.xledger.net", transaction_source: "GL" }); // "https://demo.xledger.net/graphql"
 */
export function xledgerEndpoint(config: XledgerConfig): string {
  const base = config.base_url.replace(/\/+$/, "");
  return base.endsWith("/graphql") ? base : `${base}/graphql`;
}

/**
 * The Business Central API root (ending in `/api/v2.0`) for a config.
 *
 * @example
 * dynamicsApiRoot({ base_url: "https://api.businesscentral.dynamics.com", tenant_id: "t", environment: "production", … });
 * // "https://api.businesscentral.dynamics.com/v2.0/t/production/api/v2.0"
 */
export function dynamicsApiRoot(config: DynamicsConfig): string {
  const base = config.base_url.replace(/\/+$/, "");
  if (base.endsWith("/api/v2.0")) return base;
  const segments = [config.tenant_id, config.environment].filter((s): s is string => s !== undefined);
  if (config.environment === undefined) return `${base}/api/v2.0`;
  return `${base}/v2.0/${segments.map(encodeURIComponent).join("/")}/api/v2.0`;
}

/**
 * The OAuth2 token endpoint for a config.
 *
 * @example
 * dynamicsTokenUrl({ tenant_id: "contoso.onmicrosoft.com", … }); // "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
 */
export function dynamicsTokenUrl(config: DynamicsConfig): string {
  if (config.token_url !== undefined) return config.token_url;
  return `https://login.microsoftonline.com/${encodeURIComponent(config.tenant_id ?? "")}/oauth2/v2.0/token`;
}

/**
 * The monthly request allowance health pings take their share of: Xledger's `monthly_request_allowance`
 * (default 5,000), `null` for Business Central (a rate limit, not a monthly allowance). A config that does
 * not validate gets the default: it cannot export either, and its pings must still stay within budget.
 *
 * @example
 * monthlyRequestAllowance("xledger", { base_url: "https://demo.xledger.net" }); // 5000
 */
export function monthlyRequestAllowance(type: string, config: unknown): number | null {
  if (type !== "xledger") return null;
  const parsed = xledgerConfigSchema.safeParse(config);
  return parsed.success
    ? parsed.data.monthly_request_allowance
    : xledgerConfigSchema.shape.monthly_request_allowance.parse(undefined);
}
