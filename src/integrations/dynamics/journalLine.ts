/**
 * How an {@link ExportEntry} becomes a Business Central v2.0 `journalLine`, and where our reference lives.
 *
 * Our reference (the ledger entry id) travels in `externalDocumentNumber` ("External Document No.",
 * Code[35]) as the uuid's 32 hex digits without dashes. All lines of one voucher share one
 * `documentNumber` ("Document No.", Code[20]), {@link documentNumberFor} the voucher: a General journal
 * posts document by document and refuses a document whose lines do not balance, and posted G/L entries
 * keep only the document number, so it is also how a posted voucher is found again. BC upper-cases Code
 * fields, so references come back upper-case and lookups compare case-insensitively.
 *
 * Field sizes are the APIV2 page's (microsoft/ALAppExtensions Apps/W1/APIV2/app/src/pages/
 * APIV2JournalLines.Page.al, table "Gen. Journal Line"): accountNumber Code[20], documentNumber Code[20],
 * externalDocumentNumber Code[35], description Text[100], comment Text[250].
 */
import { IntegrationError } from "../errors.ts";
import type { ExportEntry } from "../types.ts";

/** The journalLine field that carries our reference and that lookups filter on. */
export const REFERENCE_FIELD = "externalDocumentNumber";

/** BC journalLine "Description" is Text[100]; longer text is rejected, so it is cut here. */
const DESCRIPTION_MAX = 100;
/** "Account No." and "Bal. Account No." are Code[20]. */
export const ACCOUNT_NUMBER_MAX = 20;
/** "Comment" is Text[250]. */
const COMMENT_MAX = 250;

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
  comment: string;
  balanceAccountType?: "G/L Account";
  balancingAccountNumber?: string;
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
 * `documentNumber` for a voucher: `"SYNC-"` + 15 hex digits of the 64-bit FNV-1a hash of its number =
 * 20 characters, the Code[20] maximum. Deterministic, so a retry — even after the journal was posted —
 * asks for the same number. Hashed rather than copied: voucher numbers may be longer than 20 characters,
 * and a copied "G00001" could collide with a document BC numbered itself, which would make a look-up
 * find someone else's entries and skip our voucher. With 60 bits two vouchers of one company collide with
 * probability ≈ n²/2⁶¹ (about 4·10⁻⁷ at a million vouchers).
 *
 * @example
 * documentNumberFor("2026-0042"); // "SYNC-" + 15 hex digits, always the same for "2026-0042"
 */
export function documentNumberFor(voucherNumber: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(voucherNumber)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return `SYNC-${hash.toString(16).padStart(16, "0").slice(-15).toUpperCase()}`;
}

/**
 * A Code[20] account number as BC stores it (trimmed, upper-cased), or `undefined` when BC would refuse
 * it (empty or longer than 20 characters).
 *
 * @example
 * toAccountNumber(" 1010 "); // "1010"
 */
export function toAccountNumber(account: string): string | undefined {
  const code = account.trim().toUpperCase();
  return code.length === 0 || code.length > ACCOUNT_NUMBER_MAX ? undefined : code;
}

/** What the integration's config adds to every line. */
export interface JournalLineSettings {
  /** The company's local currency; entries in another are refused. */
  localCurrency?: string | undefined;
  /** "Bal. Account No." for every line, only when the integration's config names one. */
  balancingAccountNumber?: string | undefined;
}

/**
 * Converts one line, refusing (`invalid_voucher`, naming the voucher) what BC would refuse or misbook: a
 * foreign currency, a bad amount, an account that is not Code[20], an id that is not a uuid.
 *
 * @example
 * toJournalLine({ id, voucherNumber: "2026-0042", entryDate: "2026-01-31", account: "1010", amount: "101.00", currency: "NOK", description: null }, { localCurrency: "NOK" });
 */
export function toJournalLine(entry: ExportEntry, settings: JournalLineSettings = {}): JournalLineBody {
  const refuse = (message: string) =>
    new IntegrationError("invalid_voucher", `business central: voucher ${entry.voucherNumber}: ${message}`, {
      voucher: entry.voucherNumber,
    });
  // v2.0 journalLines have no currency field: lines post in the company's local currency, so an entry in
  // another currency would be booked at the wrong value.
  const local = settings.localCurrency;
  if (local !== undefined && entry.currency !== local) {
    throw refuse(`entry ${entry.id} is in ${entry.currency}, the company books in ${local}`);
  }
  if (!AMOUNT.test(entry.amount)) throw refuse(`entry ${entry.id} has amount ${entry.amount}`);
  const reference = toExternalReference(entry.id);
  if (reference === undefined) throw refuse(`entry id ${entry.id} is not a uuid`);
  const accountNumber = toAccountNumber(entry.account);
  if (accountNumber === undefined) {
    throw refuse(
      `account ${JSON.stringify(entry.account)} is not a G/L account number (Code[20]: 1 to 20 characters)`,
    );
  }
  const body: JournalLineBody = {
    documentNumber: documentNumberFor(entry.voucherNumber),
    [REFERENCE_FIELD]: reference,
    postingDate: entry.entryDate,
    accountType: "G/L Account",
    accountNumber,
    amount: Number(entry.amount),
    description: (entry.description ?? "").slice(0, DESCRIPTION_MAX),
    comment: `Voucher ${entry.voucherNumber}`.slice(0, COMMENT_MAX),
  };
  if (settings.balancingAccountNumber !== undefined) {
    body.balanceAccountType = "G/L Account";
    body.balancingAccountNumber = settings.balancingAccountNumber;
  }
  return body;
}
