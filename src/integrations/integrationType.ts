/**
 * The integration types the product supports: the allowlist in `trigger_integration_sync`
 * (supabase/migrations/*_trigger_rpc.sql; docs/architecture.md §4), which is the authority. Declared once, in a file with no
 * imports, so the browser SDK (src/client) can share it type-only without pulling in any adapter.
 * Adding a type: docs/adding-an-integration.md.
 */
export type IntegrationType = "xledger" | "dynamics";
