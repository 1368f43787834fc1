/**
 * The contract between the engine and an accounting system. The engine only ever talks to an
 * {@link IntegrationAdapter}; everything Xledger- or Business-Central-specific lives behind it.
 */

import type { IntegrationType } from "./integrationType.ts";

export type { IntegrationType };

/** One approved ledger entry, as the engine hands it to an adapter. */
export interface ExportEntry {
  /** The ledger entry's id (uuid text). This is "our reference" in the external system. */
  id: string;
  /**
   * The voucher (document) this line belongs to: lines with the same number are one voucher, balanced
   * to zero per currency, and always reach {@link IntegrationAdapter.export} together and adjacent
   * (docs/export-pipeline.md "Vouchers"). Business Central derives the shared `documentNumber` from it;
   * Xledger sends it as the document's `trRegNumber`.
   */
  voucherNumber: string;
  /** Posting date, `YYYY-MM-DD`. */
  entryDate: string;
  /** Account number/code in the external chart of accounts. */
  account: string;
  /** Signed amount with two decimals, as text (`"101.00"`, `"-12.50"`) so no float ever touches money. */
  amount: string;
  /** ISO 4217 currency code. */
  currency: string;
  description: string | null;
}

/** Proof that an entry exists in the external system. */
export interface ExportedEntry {
  /** The ledger entry id ("our reference"). */
  entryId: string;
  /** The external system's id for the created record (Xledger `dbId`, Business Central journal line id). */
  externalId: string;
}

/**
 * Why a request to an accounting API was made. Xledger bills every GraphQL request against a monthly
 * allowance, so each one is counted under one of these (docs/engine.md "API request tally").
 */
export type RequestPurpose = "export" | "lookup" | "ping" | "token" | "reconcile";

/** Per-call context. */
export interface AdapterContext {
  /** Cancels the call (worker shutdown, run cancelled, lease lost). Adapters add their own timeout to it. */
  signal: AbortSignal;
  /**
   * Called once for every HTTP request the call makes, just before it leaves (a request whose answer is lost
   * still counted against the allowance), with the purpose it serves.
   */
  onRequest?: ((purpose: RequestPurpose) => void) | undefined;
}

/** Context of a look-up. */
export interface LookupContext extends AdapterContext {
  /**
   * The earliest moment any of the looked-up entries may have been sent (when its batch was first marked in
   * flight). Adapters whose look-up scans by modification time start there; `undefined` means "any time".
   */
  since?: Date | undefined;
}

/**
 * What the engine calls. Every method throws only {@link import("./errors.ts").IntegrationError}.
 *
 * Exactly-once protocol (docs/architecture.md §5): before re-sending a batch that may have reached the remote
 * system (crash, timeout, lost response), the engine calls {@link findExported} with the batch's ids
 * and only exports the ones that are not found.
 *
 * Voucher grouping: a batch holds whole vouchers (lines of one voucher adjacent), never more lines
 * than {@link IntegrationAdapter.maxBatchSize}.
 */
export interface IntegrationAdapter {
  readonly type: IntegrationType;
  /** The most entries {@link export} should be given at once (one remote request / one atomic unit). */
  readonly maxBatchSize: number;
  /** A cheap health check (docs/architecture.md §5.4). Resolves when the system answers and accepts our credentials. */
  ping(ctx: AdapterContext): Promise<void>;
  /**
   * Which of these entries already exist externally (by our reference, the entry id); order is not
   * significant, entries not found are omitted. Entries, not bare ids, because Business Central finds
   * posted lines by their voucher's `documentNumber`.
   */
  findExported(entries: readonly ExportEntry[], ctx: LookupContext): Promise<ExportedEntry[]>;
  /**
   * Sends whole vouchers and returns one {@link ExportedEntry} per entry, in batch order. A voucher the
   * system refuses for its content throws `IntegrationError("bad_request")` with `voucher` set when the
   * adapter knows which voucher it was (nothing of the batch is booked then).
   */
  export(batch: ExportEntry[], ctx: AdapterContext): Promise<ExportedEntry[]>;
}
