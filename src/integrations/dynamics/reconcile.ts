/**
 * Reading back what Business Central holds for our references (src/integrations/reconcile.ts): journal lines
 * of our journal that carry a reference in `externalDocumentNumber`, and posted `generalLedgerEntries` of our
 * vouchers' documents.
 *
 * Posted entries keep no per-line reference: the v2.0 G/L entry (microsoft/ALAppExtensions
 * Apps/W1/APIV2/app/src/pages/APIV2GLEntries.Page.al) has id, entryNumber, postingDate, documentNumber,
 * documentType, accountId, accountNumber, description, debitAmount, creditAmount, lastModifiedDateTime —
 * no `externalDocumentNumber`. What survives posting is the voucher's `documentNumber`
 * ({@link documentNumberFor}, `SYNC-` + hash). So a posted line gets its entry id back by matching the G/L
 * rows of one document to the run's expected lines of that voucher (`ctx.expected`), see
 * {@link attributePosted}; docs/export-pipeline.md "Reading back" explains the choice.
 */
import { chunk } from "../http.ts";
import { cents, formatCents } from "../money.ts";
import { canonicalIds, checkPeriod, numberCents, withRequestAllowance } from "../readBack.ts";
import type { ActualLine, ExpectedEntry, PostingPeriod, ReconcileContext } from "../reconcile.ts";
import type { AdapterContext } from "../types.ts";
import {
  documentNumberFor,
  fromExternalReference,
  REFERENCE_FIELD,
  toAccountNumber,
  toExternalReference,
} from "./journalLine.ts";
import { anyOf, query } from "./odata.ts";

/** What the read-back needs from the adapter (its authenticated, counted transport and its settings). */
export interface DynamicsReadPort {
  /** Pages of a collection, following `@odata.nextLink`; each page one request reported as "reconcile". */
  pages<T>(url: string, ctx: AdapterContext, pageSize: number): AsyncGenerator<T[]>;
  /** `…/companies({id})/journals({id})/journalLines` (may resolve the journal by code: one request). */
  journalLinesUrl(ctx: AdapterContext): Promise<string>;
  /** `…/companies({id})/generalLedgerEntries`. */
  glEntriesUrl: string;
  /** `Prefer: odata.maxpagesize` for read-back scans. */
  pageSize: number;
  /** References or document numbers per look-up request. */
  lookupChunkSize: number;
  /** The integration's "Bal. Account No.", whose counter-postings are not lines of ours. */
  balancingAccountNumber: string | undefined;
}

interface LineRow {
  id?: unknown;
  externalDocumentNumber?: unknown;
  accountNumber?: unknown;
  amount?: unknown;
  postingDate?: unknown;
}
/** The fields of a v2.0 `generalLedgerEntry` the read-back selects. */
export interface GLRow {
  id?: unknown;
  entryNumber?: unknown;
  documentNumber?: unknown;
  accountNumber?: unknown;
  postingDate?: unknown;
  debitAmount?: unknown;
  creditAmount?: unknown;
}

const LINE_SELECT = `id,${REFERENCE_FIELD},accountNumber,amount,postingDate`;
/** The `generalLedgerEntries` fields both the read-back and the exactly-once look-up select. */
export const GL_SELECT = "id,entryNumber,documentNumber,accountNumber,postingDate,debitAmount,creditAmount";

/** A G/L entry's signed amount in cents: debit − credit (the v2.0 page has no signed `amount`). */
export function glCents(row: GLRow): number {
  return numberCents(Number(row.debitAmount ?? 0)) - numberCents(Number(row.creditAmount ?? 0));
}
// documentNumberFor's prefix: a G/L entry of another document can never be one of our lines.
const OUR_DOCUMENT = /^SYNC-[0-9A-F]{15}$/;

/**
 * Every line with our reference whose posting date lies in `period`: one scan of the journal's lines and
 * one of the company's G/L entries, both filtered by `postingDate ge … and postingDate le …` (unquoted
 * Edm.Date literals) and paged by the server.
 *
 * The G/L scan reads every entry of the period, ours or not — BC's `$filter` is documented with comparison
 * and logical operators (Learn, "Using filtering in API calls"), and a prefix filter on documentNumber is not
 * something to rely on — and keeps the `SYNC-…` documents. Cost: (journal lines + G/L entries of the
 * period) / page size requests.
 */
export async function* readDynamicsPeriod(
  port: DynamicsReadPort,
  period: PostingPeriod,
  ctx: ReconcileContext,
): AsyncGenerator<ActualLine[]> {
  checkPeriod(period, "business central");
  const limited = withRequestAllowance(ctx, "business central");
  const range = `postingDate ge ${period.start} and postingDate le ${period.end}`;
  const lines = await port.journalLinesUrl(limited);
  const lineUrl = `${lines}${query({ $filter: range, $select: LINE_SELECT })}`;
  for await (const page of port.pages<LineRow>(lineUrl, limited, port.pageSize)) {
    const out = page.flatMap(journalLine);
    if (out.length > 0) yield out;
  }
  // A document's rows may straddle a page boundary, so attribution waits for the whole scan; only rows of
  // our documents are kept (≈ 100 B each: 10,000 are about 1 MB).
  const byDocument = new Map<string, GLRow[]>();
  const glUrl = `${port.glEntriesUrl}${query({ $filter: range, $select: GL_SELECT })}`;
  for await (const page of port.pages<GLRow>(glUrl, limited, port.pageSize)) {
    for (const row of page) {
      const doc = typeof row.documentNumber === "string" ? row.documentNumber.trim().toUpperCase() : "";
      if (OUR_DOCUMENT.test(doc)) byDocument.set(doc, [...(byDocument.get(doc) ?? []), row]);
    }
  }
  const posted = attributePosted(byDocument, ctx.expected ?? [], port.balancingAccountNumber);
  for (const part of chunk(posted, port.pageSize)) yield part;
}

/**
 * The lines for these references wherever they are: journal lines by `externalDocumentNumber` (any posting
 * date), then, for the ones not in the journal, the G/L entries of their vouchers' documents — which needs
 * the voucher, so only references that are in `ctx.expected` can be found posted.
 */
export async function findDynamicsReferences(
  port: DynamicsReadPort,
  entryIds: readonly string[],
  ctx: ReconcileContext,
): Promise<ActualLine[]> {
  const wanted = new Set(canonicalIds(entryIds));
  if (wanted.size === 0) return [];
  const limited = withRequestAllowance(ctx, "business central");
  const out: ActualLine[] = [];
  const lines = await port.journalLinesUrl(limited);
  const refs = [...wanted].flatMap((id) => toExternalReference(id) ?? []);
  for (const part of chunk(refs, port.lookupChunkSize)) {
    const url = `${lines}${query({ $filter: anyOf(REFERENCE_FIELD, part), $select: LINE_SELECT })}`;
    for await (const page of port.pages<LineRow>(url, limited, port.pageSize)) {
      for (const line of page.flatMap(journalLine)) if (wanted.has(line.entryId)) out.push(line);
    }
  }
  const inJournal = new Set(out.map((l) => l.entryId));
  const byVoucher = new Map<string, ExpectedEntry[]>();
  for (const entry of ctx.expected ?? []) {
    const doc = documentNumberFor(entry.voucherNumber);
    byVoucher.set(doc, [...(byVoucher.get(doc) ?? []), entry]);
  }
  const docs = [...byVoucher].filter(([, entries]) =>
    entries.some((e) => {
      const id = e.id.toLowerCase();
      return wanted.has(id) && !inJournal.has(id);
    }),
  );
  const byDocument = new Map<string, GLRow[]>();
  for (const part of chunk(
    docs.map(([doc]) => doc),
    port.lookupChunkSize,
  )) {
    const url = `${port.glEntriesUrl}${query({ $filter: anyOf("documentNumber", part), $select: GL_SELECT })}`;
    for await (const page of port.pages<GLRow>(url, limited, port.pageSize)) {
      for (const row of page) {
        const doc = typeof row.documentNumber === "string" ? row.documentNumber.trim().toUpperCase() : "";
        if (byVoucher.has(doc)) byDocument.set(doc, [...(byDocument.get(doc) ?? []), row]);
      }
    }
  }
  const expected = docs.flatMap(([, entries]) => entries);
  for (const line of attributePosted(byDocument, expected, port.balancingAccountNumber)) {
    if (wanted.has(line.entryId) && !inJournal.has(line.entryId)) out.push(line);
  }
  return out;
}

/** A journal line as an {@link ActualLine}, or nothing when it carries no reference of ours. */
function journalLine(row: LineRow): ActualLine[] {
  const reference = typeof row.externalDocumentNumber === "string" ? row.externalDocumentNumber : "";
  const entryId = fromExternalReference(reference);
  if (entryId === undefined || typeof row.id !== "string" || typeof row.amount !== "number") return [];
  return [
    {
      entryId,
      externalId: row.id,
      state: "journal",
      account: typeof row.accountNumber === "string" ? row.accountNumber : "",
      amount: formatCents(numberCents(row.amount)),
      // v2.0 journal lines have no currency: they post in the company's local currency.
      currency: null,
      postingDate: typeof row.postingDate === "string" ? row.postingDate.slice(0, 10) : "",
    },
  ];
}

interface Candidate {
  row: GLRow;
  account: string;
  cents: number;
}

/**
 * Gives posted G/L rows their entry ids, document by document, against the expected lines of that voucher
 * (rows in entry-number order, each used once):
 *
 * 1. same account and same signed amount (debit − credit) — an untouched line;
 * 2. rows on the integration's balancing account that are left are its counter-postings, not lines: dropped;
 * 3. same account — the amount was edited in the journal before posting (→ `amount_mismatch`);
 * 4. same amount — the account was edited (→ `account_mismatch`);
 * 5. what is left pairwise in order — both edited;
 * 6. rows still left (a line added to our document, a document posted twice) go to the voucher's line with
 *    the same account, else its first line, so the comparison sees a second line for that entry (→ `extra`).
 *
 * A document with no expected lines is skipped: nothing says which entries it holds (a voucher exported
 * outside the run's window; its own period's reconciliation finds it with `findByReference`).
 */
export function attributePosted(
  byDocument: ReadonlyMap<string, readonly GLRow[]>,
  expected: readonly ExpectedEntry[],
  balancingAccountNumber: string | undefined,
): ActualLine[] {
  const byVoucher = new Map<string, ExpectedEntry[]>();
  for (const entry of expected) {
    const doc = documentNumberFor(entry.voucherNumber);
    byVoucher.set(doc, [...(byVoucher.get(doc) ?? []), entry]);
  }
  const balancing =
    balancingAccountNumber === undefined ? undefined : toAccountNumber(balancingAccountNumber);
  const out: ActualLine[] = [];
  for (const [doc, rows] of byDocument) {
    const entries = byVoucher.get(doc);
    if (entries === undefined || entries.length === 0) continue;
    let left: Candidate[] = [...rows]
      .filter((r) => typeof r.id === "string")
      .sort((a, b) => Number(a.entryNumber) - Number(b.entryNumber))
      .map((row) => ({
        row,
        account: typeof row.accountNumber === "string" ? row.accountNumber.trim().toUpperCase() : "",
        cents: glCents(row),
      }));
    let open = entries.map((entry) => ({
      entry,
      account: toAccountNumber(entry.account) ?? entry.account,
      cents: Number(cents(entry.amount)),
    }));
    const pass = (same: (c: Candidate, e: (typeof open)[number]) => boolean) => {
      const stillOpen: typeof open = [];
      for (const e of open) {
        const at = left.findIndex((c) => same(c, e));
        if (at < 0) {
          stillOpen.push(e);
          continue;
        }
        const [c] = left.splice(at, 1);
        if (c !== undefined) out.push(postedLine(e.entry.id, c));
      }
      open = stillOpen;
    };
    pass((c, e) => c.account === e.account && c.cents === e.cents);
    if (balancing !== undefined) left = left.filter((c) => c.account !== balancing);
    pass((c, e) => c.account === e.account);
    pass((c, e) => c.cents === e.cents);
    pass(() => true);
    for (const c of left) {
      const owner =
        entries.find((e) => (toAccountNumber(e.account) ?? e.account) === c.account) ?? entries[0];
      if (owner !== undefined) out.push(postedLine(owner.id, c));
    }
  }
  return out;
}

function postedLine(entryId: string, c: Candidate): ActualLine {
  return {
    entryId: entryId.toLowerCase(),
    externalId: String(c.row.id),
    state: "posted",
    account: c.account,
    amount: formatCents(c.cents),
    currency: null,
    postingDate: typeof c.row.postingDate === "string" ? c.row.postingDate.slice(0, 10) : "",
  };
}
