/**
 * Fixed master data of the fake Business Central: companies and their general journals, with stable
 * GUIDs so seeds, demos and tests can put them in `organization_integrations.config`.
 */

/** Client credentials the sandbox token endpoint accepts (docs/architecture.md §9). */
export const SANDBOX_BC_CLIENT_ID = "sandbox-client";
export const SANDBOX_BC_CLIENT_SECRET = "sandbox-secret";

/** Id of the sandbox's main company ("CRONUS International Ltd.", BC's demo company). */
export const SANDBOX_BC_COMPANY_ID = "5f3c2a10-9b1e-4d2a-8c3f-0a1b2c3d4e01";
/** Id of the GENERAL journal of {@link SANDBOX_BC_COMPANY_ID}. */
export const SANDBOX_BC_JOURNAL_ID = "7a4e1b20-3c5d-4e6f-9a0b-1c2d3e4f5a01";
/** Code of that journal, for configs that name the journal by code. */
export const SANDBOX_BC_JOURNAL_CODE = "GENERAL";

/** A company as the v2.0 `companies` entity set returns it. */
export interface Company {
  id: string;
  systemVersion: string;
  timestamp: number;
  name: string;
  displayName: string;
  businessProfileId: string;
  systemCreatedAt: string;
  systemCreatedBy: string;
  systemModifiedAt: string;
  systemModifiedBy: string;
}

/** A journal as the v2.0 `journals` entity set returns it. */
export interface Journal {
  id: string;
  code: string;
  displayName: string;
  templateDisplayName: string;
  lastModifiedDateTime: string;
  balancingAccountId: string;
  balancingAccountNumber: string;
}

const EMPTY_GUID = "00000000-0000-0000-0000-000000000000";
const SEEDED_AT = "2026-01-01T00:00:00Z";

function company(id: string, name: string): Company {
  return {
    id,
    systemVersion: "26.0.30643.0",
    timestamp: 1,
    name,
    displayName: name,
    businessProfileId: "",
    systemCreatedAt: SEEDED_AT,
    systemCreatedBy: EMPTY_GUID,
    systemModifiedAt: SEEDED_AT,
    systemModifiedBy: EMPTY_GUID,
  };
}

function journal(id: string, code: string, displayName: string): Journal {
  return {
    id,
    code,
    displayName,
    templateDisplayName: "GENERAL",
    lastModifiedDateTime: SEEDED_AT,
    balancingAccountId: EMPTY_GUID,
    balancingAccountNumber: "",
  };
}

/** Companies in `companies` order, each with its journals. */
export const SANDBOX_COMPANIES: readonly { company: Company; journals: readonly Journal[] }[] = [
  {
    company: company(SANDBOX_BC_COMPANY_ID, "CRONUS International Ltd."),
    journals: [
      journal(SANDBOX_BC_JOURNAL_ID, SANDBOX_BC_JOURNAL_CODE, "General journal"),
      journal("7a4e1b20-3c5d-4e6f-9a0b-1c2d3e4f5a02", "CASH", "Cash receipts"),
    ],
  },
  {
    company: company("5f3c2a10-9b1e-4d2a-8c3f-0a1b2c3d4e02", "My Company"),
    journals: [journal("7a4e1b20-3c5d-4e6f-9a0b-1c2d3e4f5a03", "DEFAULT", "Default journal")],
  },
];
