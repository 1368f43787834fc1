/**
 * The fake Business Central's chart of accounts and the account checks a journal line goes through.
 *
 * Chart: every four-digit G/L account `1000`–`9999` exists; any other number is unknown. There are no
 * customers, vendors or bank accounts.
 *
 * Checks, as the APIV2 journalLines page and the "Gen. Journal Line" table make them
 * (microsoft/ALAppExtensions Apps/W1/APIV2/app/src/pages/APIV2JournalLines.Page.al):
 * - "Account No." is Code[20]: a longer value fails on assignment with
 *   `Application_StringExceededLength` (Microsoft Learn, "Troubleshooting REST API/OData calls",
 *   dev-itpro/webservices: NavNCLStringLengthExceededException).
 * - the page opens filtered to Account Type `G/L Account..Bank Account` (OnOpenPage SetRange), i.e.
 *   G/L Account, Customer, Vendor, Bank Account; other types are outside the page. The exact answer BC
 *   gives for a type outside the filter is not in a public source; the sandbox refuses it with 400.
 * - a G/L or bank account number that does not exist fails the page's OnValidate with
 *   `'The "accountNumber" does not match to an Account.'` (AccountNumberDoesNotMatchAnAccountErr, an AL
 *   Error → `Application_DialogException`, same Learn page); a customer or vendor that does not exist
 *   fails the table relation (`Internal_InvalidTableRelation`, same Learn page).
 */
import type { Reply } from "../http.ts";
import { odataError } from "./odataError.ts";

/** "Account No." / "Bal. Account No." are Code[20]. */
export const ACCOUNT_NUMBER_MAX = 20;

/** The account types the APIV2 journalLines page admits (`G/L Account..Bank Account`). */
export const JOURNAL_LINE_ACCOUNT_TYPES: ReadonlySet<string> = new Set([
  "G/L Account",
  "Customer",
  "Vendor",
  "Bank Account",
]);

const RELATED_TABLE: Record<string, string> = { Customer: "Customer", Vendor: "Vendor" };

/** Whether `number` (already upper-cased) is a G/L account of the sandbox chart. */
export function isGLAccount(number: string): boolean {
  return /^[1-9]\d{3}$/.test(number);
}

/**
 * A stable GUID per G/L account (BC gives every account a SystemId; `accountId` on lines and G/L
 * entries carries it).
 */
export function glAccountId(number: string): string {
  return `6a1c0000-0000-4000-8000-${number.padStart(12, "0")}`;
}

/**
 * Checks an account field of a journal line; `undefined` when it passes. `field` is the API name
 * (`accountNumber` or `balancingAccountNumber`), `tableField` the table's caption for relation errors.
 *
 * @example
 * checkAccount("G/L Account", "99999", "accountNumber", "Account No."); // 400 Application_DialogException
 */
export function checkAccount(
  type: string,
  number: string,
  field: string,
  tableField: string,
): Reply | undefined {
  if (number.length > ACCOUNT_NUMBER_MAX) {
    return odataError(
      400,
      "Application_StringExceededLength",
      `The length of the string is ${number.length}, but it must be less than or equal to ${ACCOUNT_NUMBER_MAX} characters. Value: ${number}`,
    );
  }
  if (!JOURNAL_LINE_ACCOUNT_TYPES.has(type)) {
    return odataError(
      400,
      "BadRequest",
      `Account type '${type}' is outside the filter of this page (G/L Account..Bank Account).`,
    );
  }
  if (number === "") return undefined;
  const table = RELATED_TABLE[type];
  if (table !== undefined) {
    return odataError(
      400,
      "Internal_InvalidTableRelation",
      `The field ${tableField} of table Gen. Journal Line contains a value (${number}) that cannot be found in the related table (${table}).`,
    );
  }
  if (type === "G/L Account" && isGLAccount(number)) return undefined;
  return odataError(400, "Application_DialogException", `The "${field}" does not match to an Account.`);
}
