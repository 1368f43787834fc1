/**
 * Reading back what an accounting system holds for our references, so a reconciliation run can compare it
 * with what `ledger_entry_exports` says was exported (docs/reconciliation.md). Types only: the adapters
 * implement {@link ReconcileReader}, the engine's reconciliation executor (`src/engine/reconcile/`) calls it.
 */

import type { AdapterContext, ExportEntry } from "./types.ts";

/** A closed range of posting dates, both `YYYY-MM-DD`. */
export interface PostingPeriod {
  start: string;
  end: string;
}

/**
 * One line the accounting system holds that carries one of our references (a ledger entry id), as read
 * back. Amounts are text with two decimals, as in {@link import("./types.ts").ExportEntry}, so no float
 * ever touches money.
 */
export interface ActualLine {
  /** The ledger entry id (canonical lower-case uuid) the line's reference names. */
  entryId: string;
  /** The system's id for this line (Business Central journal line or G/L entry id, Xledger `dbId`). */
  externalId: string;
  /** Where it was found: still in a journal / import (not posted), or posted to the general ledger. */
  state: "journal" | "posted";
  /** Account number/code as the system holds it. */
  account: string;
  /** Signed amount, two decimals (`"101.00"`, `"-12.50"`). */
  amount: string;
  /** ISO 4217 code when the system reports one per line; `null` when it only knows the company currency. */
  currency: string | null;
  /** Posting date, `YYYY-MM-DD`. */
  postingDate: string;
}

/**
 * One entry the run expects to find (exported to this integration): what an adapter needs to give a posted
 * line back its entry id when the system keeps only a voucher-level reference. `ExportEntry` objects fit.
 */
export type ExpectedEntry = Pick<ExportEntry, "id" | "voucherNumber" | "account" | "amount">;

/** What a read-back call may use and must report. */
export interface ReconcileContext extends AdapterContext {
  /**
   * The most requests this call may make (the integration's remaining API budget for reconciliation).
   * An adapter that would need more stops and throws `IntegrationError("budget_exhausted")` (retryable),
   * having made at most this many; `undefined` means no limit. Counts the requests reported as
   * `onRequest("reconcile")` (a Business Central token request goes to Entra ID, not to the budgeted API).
   */
  maxRequests?: number | undefined;
  /**
   * The entries the run expects (exported to this integration, entry date in or near the period), for
   * {@link ReconcileReader.readPeriod} and {@link ReconcileReader.findByReference} alike. Business Central
   * needs it: a posted G/L entry keeps the voucher's `documentNumber` but not our per-line reference
   * (APIV2GLEntries.Page.al exposes no `externalDocumentNumber`), so a posted line is given back its entry
   * id by matching the voucher's expected lines (docs/export-pipeline.md "Reading back"). Without it, posted
   * lines of Business Central cannot be attributed and are not returned. Xledger ignores it.
   */
  expected?: readonly ExpectedEntry[] | undefined;
}

/**
 * Implemented by every adapter that supports reconciliation. Both methods page through the system's API
 * (each page one request, reported through `ctx.onRequest("reconcile")`) and throw only
 * {@link import("./errors.ts").IntegrationError}.
 */
export interface ReconcileReader {
  /**
   * Every line with one of our references whose posting date lies in `period` — journal lines not yet
   * posted and posted ledger entries alike. Lines without a reference of ours (someone else's postings)
   * are not returned. Yields one page at a time so 10,000 lines never sit in one array twice.
   */
  readPeriod(period: PostingPeriod, ctx: ReconcileContext): AsyncIterable<ActualLine[]>;
  /**
   * The lines for these references wherever they are, whatever their posting date: called for the
   * expected entries {@link readPeriod} did not return, to tell `missing` (nowhere) from `date_mismatch`
   * (posted to another period). Entries not found are omitted.
   */
  findByReference(entryIds: readonly string[], ctx: ReconcileContext): Promise<ActualLine[]>;
}

/**
 * Whether an adapter can read back (both shipped adapters can; a test double may not).
 *
 * @example
 * const adapter = createAdapter(type, config, credentials);
 * if (!isReconcileReader(adapter)) throw new Error(`${type} cannot reconcile`);
 */
export function isReconcileReader<T extends object>(adapter: T): adapter is T & ReconcileReader {
  const candidate = adapter as Partial<ReconcileReader>;
  return typeof candidate.readPeriod === "function" && typeof candidate.findByReference === "function";
}
