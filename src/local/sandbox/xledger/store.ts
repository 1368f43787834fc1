/** In-memory GL import items of the fake Xledger. */

/** One stored GL import item (the fields the schema exposes). */
export interface GLImportItem {
  dbId: number;
  extIdentifier: string | null;
  postedDate: string;
  account: { dbId: number | null; code: string | null };
  amount: string | null;
  invoiceAmount: string | null;
  taxAmount: string | null;
  currency: { dbId: number | null; code: string | null } | null;
  transactionSource: { dbId: number | null; code: string | null } | null;
  trRegNumber: number | null;
  jobLevel: { dbSubId: number | null; dbId: number | null } | null;
  text: string | null;
  yourReference: string | null;
  invoiceNumber: string | null;
  createdAt: string;
  modifiedAt: string;
}

// Real dbIds are large positive integers; starting at 7,000,001 makes them look like it and never 0.
const FIRST_DB_ID = 7_000_001;

/**
 * Append-only item store with an index on `extIdentifier`.
 *
 * @example
 * const id = store.insert({ ...item, dbId: 0 }).dbId;
 */
export class GLImportItemStore {
  #items: GLImportItem[] = [];
  #byExt = new Map<string, GLImportItem[]>();
  #nextDbId = FIRST_DB_ID;

  /** Stores an item under a fresh `dbId` and returns it. */
  insert(item: Omit<GLImportItem, "dbId">): GLImportItem {
    const stored = { ...item, dbId: this.#nextDbId++ };
    this.#items.push(stored);
    if (stored.extIdentifier !== null) {
      const list = this.#byExt.get(stored.extIdentifier) ?? [];
      list.push(stored);
      this.#byExt.set(stored.extIdentifier, list);
    }
    return stored;
  }

  /** The item with this `dbId`, if it exists. */
  get(dbId: number): GLImportItem | undefined {
    return this.#items.find((i) => i.dbId === dbId);
  }

  /** Replaces an item's fields (`dbId` stays; a new `extIdentifier` is re-indexed); returns the updated item. */
  update(dbId: number, fields: Partial<Omit<GLImportItem, "dbId">>): GLImportItem | undefined {
    const at = this.#items.findIndex((i) => i.dbId === dbId);
    const before = this.#items[at];
    if (before === undefined) return undefined;
    const after: GLImportItem = { ...before, ...fields, dbId };
    this.#items[at] = after;
    this.#unindex(before);
    if (after.extIdentifier !== null) {
      const list = this.#byExt.get(after.extIdentifier) ?? [];
      list.push(after);
      list.sort((a, b) => a.dbId - b.dbId);
      this.#byExt.set(after.extIdentifier, list);
    }
    return after;
  }

  /** Removes an item; false when there is none with this `dbId`. */
  delete(dbId: number): boolean {
    const item = this.get(dbId);
    if (item === undefined) return false;
    this.#items = this.#items.filter((i) => i.dbId !== dbId);
    this.#unindex(item);
    return true;
  }

  #unindex(item: GLImportItem): void {
    if (item.extIdentifier === null) return;
    const rest = (this.#byExt.get(item.extIdentifier) ?? []).filter((i) => i.dbId !== item.dbId);
    if (rest.length === 0) this.#byExt.delete(item.extIdentifier);
    else this.#byExt.set(item.extIdentifier, rest);
  }

  /** Items with one of these `extIdentifier`s, in `dbId` order. */
  byExtIdentifiers(refs: readonly string[]): GLImportItem[] {
    const out = [...new Set(refs)].flatMap((ref) => this.#byExt.get(ref) ?? []);
    return out.sort((a, b) => a.dbId - b.dbId);
  }

  /** All items in `dbId` order. */
  all(): readonly GLImportItem[] {
    return this.#items;
  }

  clear(): void {
    this.#items = [];
    this.#byExt.clear();
    // dbIds keep counting across resets so an id seen before a reset never names a different item after it.
  }
}
