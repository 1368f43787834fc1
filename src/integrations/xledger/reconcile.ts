/**
 * Reading back what Xledger holds for our references (src/integrations/reconcile.ts): GL import items whose
 * `extIdentifier` is one of our entry ids (the adapter sends the id there, ./documents.ts).
 *
 * Only `glImportItems` is read. Xledger's `transactions` carry no `extIdentifier` in their public field list
 * (grasp-labs ds-provider-xledger-py-lib assets/transactions/read/metadata.json), so a transaction cannot be
 * tied to our reference; whether an import item stays queryable after processing has no public answer
 * (docs/export-pipeline.md "Xledger look-up"). An item that left `glImportItems` is reported as missing,
 * which is what an accountant should look at anyway.
 */
import { IntegrationError, isIntegrationError } from "../errors.ts";
import { chunk } from "../http.ts";
import { canonicalId, canonicalIds, checkPeriod, decimalText, withRequestAllowance } from "../readBack.ts";
import type { ActualLine, PostingPeriod, ReconcileContext } from "../reconcile.ts";
import type { AdapterContext } from "../types.ts";
import { GL_IMPORT_ITEMS_READ_BACK, GL_IMPORT_ITEMS_READ_BACK_BY_EXT_IDENTIFIER } from "./documents.ts";

/** A GL import item with the fields the read-back selects. */
export interface ReadBackNode {
  dbId: number | string;
  extIdentifier: string | null;
  postedDate: string | null;
  account: { code: string | null } | null;
  amount: string | null;
  invoiceAmount: string | null;
  currency: { code: string | null } | null;
}

/** What the read-back needs from the adapter. */
export interface XledgerReadPort {
  /** Pages of a `glImportItems` connection; each page one request reported as "reconcile". */
  pages(
    query: string,
    variables: Record<string, unknown>,
    pageSize: number,
    ctx: AdapterContext,
  ): AsyncGenerator<ReadBackNode[]>;
  /** `first` of a read-back scan (≤ 10,000, Xledger's records-per-query cap). */
  pageSize: number;
  /** References per `extIdentifier_in` query. */
  lookupChunkSize: number;
  /** Whether the `extIdentifier_in` filter is still believed to exist on this server. */
  fastPath(): boolean;
  /** Remembers that the server refused it (shared with the export look-up). */
  refuseFastPath(): void;
  /** The company's base currency, when configured (decides which amount field holds the line's amount). */
  baseCurrency: string | undefined;
}

/**
 * Every item with our reference whose `postedDate` lies in `period`: a scan of all GL import items (no
 * published filter narrows by posting date), `first` = 10,000 by default, so the cost is
 * ⌈items held / 10,000⌉ requests whatever the period.
 */
export async function* readXledgerPeriod(
  port: XledgerReadPort,
  period: PostingPeriod,
  ctx: ReconcileContext,
): AsyncGenerator<ActualLine[]> {
  checkPeriod(period, "xledger");
  const limited = withRequestAllowance(ctx, "xledger");
  for await (const nodes of port.pages(GL_IMPORT_ITEMS_READ_BACK, {}, port.pageSize, limited)) {
    const lines = nodes.flatMap((node) => actualLine(node, port.baseCurrency));
    const inPeriod = lines.filter((l) => l.postingDate >= period.start && l.postingDate <= period.end);
    if (inPeriod.length > 0) yield inPeriod;
  }
}

/**
 * The items for these references, any posting date: `extIdentifier_in` while the server takes it (one
 * request per 500 references), else — after any non-retryable refusal, remembered for the adapter — the
 * whole scan matched here. Every item of a reference is returned (a duplicate import is two lines).
 */
export async function findXledgerReferences(
  port: XledgerReadPort,
  entryIds: readonly string[],
  ctx: ReconcileContext,
): Promise<ActualLine[]> {
  const wanted = new Set(canonicalIds(entryIds));
  if (wanted.size === 0) return [];
  const limited = withRequestAllowance(ctx, "xledger");
  const keep = (nodes: ReadBackNode[]) =>
    nodes.flatMap((node) => actualLine(node, port.baseCurrency)).filter((l) => wanted.has(l.entryId));
  if (port.fastPath()) {
    try {
      const out: ActualLine[] = [];
      for (const refs of chunk([...wanted], port.lookupChunkSize)) {
        const pages = port.pages(
          GL_IMPORT_ITEMS_READ_BACK_BY_EXT_IDENTIFIER,
          { refs },
          port.pageSize,
          limited,
        );
        for await (const nodes of pages) out.push(...keep(nodes));
      }
      return out;
    } catch (error) {
      if (!isIntegrationError(error) || error.retryable) throw error;
      port.refuseFastPath();
    }
  }
  const out: ActualLine[] = [];
  for await (const nodes of port.pages(GL_IMPORT_ITEMS_READ_BACK, {}, port.pageSize, limited)) {
    out.push(...keep(nodes));
  }
  return out;
}

/**
 * An item as an {@link ActualLine}, or nothing when its `extIdentifier` is not a uuid (someone else's import).
 * The amount is `amount` (base currency), except for an item in another currency sent as `invoiceAmount`
 * (config `foreign_currency: "invoice_amount"`), whose amount in its own currency is `invoiceAmount`.
 */
function actualLine(node: ReadBackNode, baseCurrency: string | undefined): ActualLine[] {
  const entryId = node.extIdentifier === null ? undefined : canonicalId(node.extIdentifier);
  if (entryId === undefined) return [];
  const currency = node.currency?.code ?? null;
  const foreign = baseCurrency !== undefined && currency !== null && currency !== baseCurrency;
  const raw =
    foreign && node.invoiceAmount !== null ? node.invoiceAmount : (node.amount ?? node.invoiceAmount);
  // An item without any amount books nothing: zero, which the comparison reports as an amount mismatch.
  const amount = raw === null ? "0.00" : decimalText(raw);
  if (amount === undefined) {
    throw new IntegrationError(
      "server_error",
      `xledger: item ${String(node.dbId)} has no decimal amount (${JSON.stringify(raw)})`,
    );
  }
  return [
    {
      entryId,
      externalId: String(node.dbId),
      // GL import items are Xledger's import stage; transactions are not read (see above).
      state: "journal",
      account: node.account?.code ?? "",
      amount,
      currency,
      postingDate: (node.postedDate ?? "").slice(0, 10),
    },
  ];
}
