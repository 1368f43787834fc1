/**
 * How an {@link ExportEntry} becomes a Business Central v2.0 `journalLine`.
 */
import { IntegrationError } from "../errors.ts";
import type { ExportEntry } from "../types.ts";

/**
 * The journalLine field that carries our reference (the ledger entry id) and that lookups filter on.
 * Caveat for a real tenant: BC's "Document No." is Code[20] and a uuid is 36 characters, so a real
 * company will truncate or reject it; `externalDocumentNumber` (Code[35]) would fit the 32-hex form.
 * The sandbox contract uses `documentNumber`, so it is one constant here, easy to switch.
 */
export const REFERENCE_FIELD = "documentNumber";

/** BC journalLine "Description" is Text[100]; longer text is rejected, so it is cut here. */
const DESCRIPTION_MAX = 100;

// numeric(14,2) has at most 14 significant digits, inside a double's exact 15, so Number() is lossless
// for every amount the database can hold; anything else is refused rather than rounded.
const AMOUNT = /^-?\d{1,12}(\.\d{1,2})?$/;

/** The JSON body of one journalLine POST. */
export interface JournalLineBody {
  documentNumber: string;
  postingDate: string;
  accountType: "G/L Account";
  accountNumber: string;
  amount: number;
  description: string;
}

/**
 * Converts one entry, refusing (non-retryable) what BC would misbook: a foreign currency or a bad amount.
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
  return {
    [REFERENCE_FIELD]: entry.id,
    postingDate: entry.entryDate,
    accountType: "G/L Account",
    accountNumber: entry.account,
    amount: Number(entry.amount),
    description: (entry.description ?? "").slice(0, DESCRIPTION_MAX),
  };
}
