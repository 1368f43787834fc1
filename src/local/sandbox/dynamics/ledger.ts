/**
 * Posted G/L entries of the fake Business Central and the journal's bound action
 * `POST …/companies({id})/journals({id})/Microsoft.NAV.post` (Microsoft Learn, API v2.0 journals:
 * "post journals" → 204 No Content) that produces them.
 *
 * Posting checks every document of the journal before booking anything: the lines with one
 * "Document No." and "Posting Date" must sum to zero, a line with a balancing account counting as
 * balanced by itself (a GENERAL template has "Force Doc. Balance" on). An out-of-balance document refuses
 * the whole posting with 400 `Application_DialogException` (an AL Error; Learn, "Troubleshooting REST
 * API/OData calls"). BC's exact wording lives in the base application (codeunit "Gen. Jnl.-Check Line"),
 * which is not in a public repository; the sandbox's text is modelled on it and no client should parse it.
 *
 * Each posted line becomes one `generalLedgerEntry` with the v2.0 fields of APIV2GLEntries.Page.al
 * (id, entryNumber, postingDate, documentNumber, documentType, accountId, accountNumber, description,
 * debitAmount, creditAmount, lastModifiedDateTime), plus one for its balancing account when it has one,
 * and leaves the journal.
 */
import { randomUUID } from "node:crypto";
import type { Reply } from "../http.ts";
import { glAccountId } from "./chartOfAccounts.ts";
import { odataError } from "./odataError.ts";
import type { JournalLine, JournalLineStore } from "./store.ts";

/** A v2.0 `generalLedgerEntry`. */
export interface GLEntry {
  id: string;
  entryNumber: number;
  postingDate: string;
  documentNumber: string;
  documentType: string;
  accountId: string;
  accountNumber: string;
  description: string;
  debitAmount: number;
  creditAmount: number;
  lastModifiedDateTime: string;
}

/** The G/L entry field names, for `$filter`/`$select` checks. */
export const GL_ENTRY_PROPERTIES: ReadonlySet<string> = new Set([
  "id",
  "entryNumber",
  "postingDate",
  "documentNumber",
  "documentType",
  "accountId",
  "accountNumber",
  "description",
  "debitAmount",
  "creditAmount",
  "lastModifiedDateTime",
]);

/** Posted entries per company, in entry-number order. */
export class GeneralLedger {
  #byCompany = new Map<string, GLEntry[]>();
  #next = 1;

  list(companyId: string): readonly GLEntry[] {
    return this.#byCompany.get(companyId) ?? [];
  }

  /**
   * Posts every line of a journal, or nothing: 204 when booked, the BC error otherwise.
   *
   * @example
   * const reply = ledger.post(companyId, journalId, lines);
   */
  post(companyId: string, journalId: string, lines: JournalLineStore): Reply {
    const pending = lines.list(journalId);
    for (const line of pending) {
      if (line.accountNumber === "") {
        return odataError(
          400,
          "Application_FieldValidationException",
          `Account No. must have a value in Gen. Journal Line: Journal Batch Name=${line.journalDisplayName}, Line No.=${line.lineNumber}. It cannot be zero or empty.`,
        );
      }
    }
    const totals = new Map<string, { date: string; doc: string; cents: number }>();
    for (const line of pending) {
      if (line.balancingAccountNumber !== "") continue;
      const key = `${line.postingDate}\u0000${line.documentNumber}`;
      const t = totals.get(key) ?? { date: line.postingDate, doc: line.documentNumber, cents: 0 };
      t.cents += Math.round(line.amount * 100);
      totals.set(key, t);
    }
    for (const t of totals.values()) {
      if (t.cents !== 0) {
        return odataError(
          400,
          "Application_DialogException",
          `As of ${t.date}, the lines in document no. ${t.doc} are out of balance by ${(t.cents / 100).toFixed(2)}.`,
        );
      }
    }
    const booked = this.#byCompany.get(companyId) ?? [];
    const now = new Date().toISOString();
    for (const line of pending) {
      booked.push(this.#entry(line, line.accountNumber, line.amount, now));
      if (line.balancingAccountNumber !== "") {
        booked.push(this.#entry(line, line.balancingAccountNumber, -line.amount, now));
      }
    }
    this.#byCompany.set(companyId, booked);
    lines.removeAll(journalId);
    return { status: 204 };
  }

  #entry(line: JournalLine, account: string, amount: number, now: string): GLEntry {
    return {
      id: randomUUID(),
      entryNumber: this.#next++,
      postingDate: line.postingDate,
      documentNumber: line.documentNumber,
      documentType: " ",
      accountId: glAccountId(account),
      accountNumber: account,
      description: line.description,
      debitAmount: Math.max(amount, 0),
      creditAmount: Math.max(-amount, 0),
      lastModifiedDateTime: now,
    };
  }

  clear(): void {
    this.#byCompany.clear();
    this.#next = 1;
  }
}
