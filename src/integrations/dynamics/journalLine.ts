/**
 * How an {@link ExportEntry} becomes a Business Central v2.0 `journalLine`, and where our reference lives.
 *
 * Our reference (the ledger entry id) travels in `externalDocumentNumber` ("External Document No.",
 * Code[35]) as the uuid's 32 hex digits without dashes. `documentNumber` ("Document No.") is only
 * Code[20] on a real tenant, too short for a 36-character uuid; it gets {@link documentNumberFor}, a
 * short, deterministic label for people reading the journal. BC upper-cases Code fields, so the
 * reference comes back upper-case and lookups compare case-insensitively.
 */
import { IntegrationError } from "../errors.ts";
import type { ExportEntry } from "../types.ts";

/** The journalLine field that carries our reference and that lookups filter on. */
export const REFERENCE_FIELD = "externalDocumentNumber";

/** BC journalLine "Description" is Text[100]; longer text is rejected, so it is cut here. */
const DESCRIPTION_MAX = 100;

// numeric(14,2) has at most 14 significant digits, inside a double's exact 15, so Number() is lossless
// for every amount the database can hold; anything else is refused rather than rounded.
const AMOUNT = /^-?\d{1,12}(\.\d{1,2})?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COMPACT_UUID = /^[0-9a-f]{32}$/i;

/** The JSON body of one journalLine POST. */
export interface JournalLineBody {
  documentNumber: string;
  externalDocumentNumber: string;
  postingDate: string;
  accountType: "G/L Account";
  accountNumber: string;
  amount: number;
  description: string;
}

/**
 * Our reference as stored in `externalDocumentNumber`: the uuid's 32 hex digits, upper-case (what BC
 * stores anyway), or `undefined` when `entryId` is not a uuid.
 *
 * @example
 * toExternalReference("0b9c6a4e-1f2d-4c3b-8a5e-6d7f8091a2b3"); // "0B9C6A4E1F2D4C3B8A5E6D7F8091A2B3"
 */
export function toExternalReference(entryId: string): string | undefined {
  return UUID.test(entryId) ? entryId.replaceAll("-", "").toUpperCase() : undefined;
}

/**
 * The ledger entry id (canonical lower-case uuid with dashes) for a stored `externalDocumentNumber`, or
 * `undefined` when the value is not one of our references.
 *
 * @example
 * fromExternalReference("0B9C6A4E1F2D4C3B8A5E6D7F8091A2B3"); // "0b9c6a4e-1f2d-4c3b-8a5e-6d7f8091a2b3"
 */
export function fromExternalReference(stored: string): string | undefined {
  const hex = stored.trim();
  if (UUID.test(hex)) return hex.toLowerCase();
  if (!COMPACT_UUID.test(hex)) return undefined;
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * `documentNumber` for an entry: `"SYNC-"` + the LAST 15 hex digits of its id = 20 characters, the
 * Code[20] maximum. Deterministic, so a line is recognisable from the entry alone. The last digits, not
 * the first: in a v7 uuid the first 12 are a millisecond timestamp shared by entries created together,
 * while the last 15 are random in v4 and v7 alike (≈ 60 bits, so two entries of one company share a
 * number with probability ≈ n²/2⁶¹, about 4·10⁻⁷ at a million entries). It is a label, not our key:
 * lookups use `externalDocumentNumber` only.
 *
 * @example
 * documentNumberFor("0b9c6a4e-1f2d-4c3b-8a5e-6d7f8091a2b3"); // "SYNC-A5E6D7F8091A2B3" (20 chars)
 */
export function documentNumberFor(entryId: string): string {
  return `SYNC-${entryId.replaceAll("-", "").slice(-15).toUpperCase()}`;
}

/**
 * Converts one entry, refusing (non-retryable) what BC would misbook: a foreign currency, a bad amount or
 * an id that is not a uuid (it would not fit our reference field).
 *
 * @example
 * toJournalLine({ id, entryDate: "2026-01-31", account: "1010", amount: "101.00", currency: "NOK", description: null }, "NOK");
 */
export function toJournalLine(entry: ExportEntry, localCurrency: string | undefined): JournalLineBody {
  // v2.0 journalLines have no currency field: lines post in the company's local currency, so an entry in
  // another currency would be booked at the wrong value.
  if (localCurrency !== undefined && entry.currency !== localCurrency) {
    throw new IntegrationError(
      "bad_request",
      `business central: entry ${entry.id} is in ${entry.currency}, the company books in ${localCurrency}`,
    );
  }
  if (!AMOUNT.test(entry.amount)) {
    throw new IntegrationError(
      "bad_request",
      `business central: entry ${entry.id} has amount ${entry.amount}`,
    );
  }
  const reference = toExternalReference(entry.id);
  if (reference === undefined) {
    throw new IntegrationError("bad_request", `business central: entry id ${entry.id} is not a uuid`);
  }
  return {
    documentNumber: documentNumberFor(entry.id),
    [REFERENCE_FIELD]: reference,
    postingDate: entry.entryDate,
    accountType: "G/L Account",
    accountNumber: entry.account,
    amount: Number(entry.amount),
    description: (entry.description ?? "").slice(0, DESCRIPTION_MAX),
  };
}
