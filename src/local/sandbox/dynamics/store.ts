/**
 * Journal lines of the fake Business Central, with an undo log so a `$batch` under
 * `Isolation: snapshot` can roll back everything it created.
 */
import { randomUUID } from "node:crypto";
import type { ReceivedCounter } from "../state.ts";

/** A v2.0 `journalLine` entity. */
export interface JournalLine {
  id: string;
  journalId: string;
  journalDisplayName: string;
  lineNumber: number;
  accountType: string;
  accountId: string;
  accountNumber: string;
  postingDate: string;
  documentNumber: string;
  externalDocumentNumber: string;
  amount: number;
  description: string;
  comment: string;
  taxCode: string;
  balanceAccountType: string;
  balancingAccountId: string;
  balancingAccountNumber: string;
  lastModifiedDateTime: string;
}

/** A group of changes that can be undone together (a `$batch` under `Isolation: snapshot`). */
export interface Transaction {
  created: { line: JournalLine; reference: string }[];
  /** Undo steps for updates and deletes, run in reverse order. */
  undo: (() => void)[];
}

// BC numbers journal lines in steps of 10,000 so lines can be inserted between them.
const LINE_NUMBER_STEP = 10_000;

/**
 * Lines per journal, in creation order.
 *
 * @example
 * const line = store.create(journalId, "General journal", fields, received);
 */
export class JournalLineStore {
  #byJournal = new Map<string, JournalLine[]>();

  /** Lines of one journal. */
  list(journalId: string): readonly JournalLine[] {
    return this.#byJournal.get(journalId) ?? [];
  }

  /** Creates a line, counts its reference as received, and records it in `tx` when given. */
  create(
    journalId: string,
    journalDisplayName: string,
    fields: Omit<
      JournalLine,
      "id" | "journalId" | "journalDisplayName" | "lineNumber" | "lastModifiedDateTime"
    >,
    reference: string,
    received: ReceivedCounter,
    tx?: Transaction,
  ): JournalLine {
    const lines = this.#byJournal.get(journalId) ?? [];
    const line: JournalLine = {
      id: randomUUID(),
      journalId,
      journalDisplayName,
      lineNumber:
        Math.floor((lines.at(-1)?.lineNumber ?? 0) / LINE_NUMBER_STEP) * LINE_NUMBER_STEP + LINE_NUMBER_STEP,
      lastModifiedDateTime: new Date().toISOString(),
      ...fields,
    };
    lines.push(line);
    this.#byJournal.set(journalId, lines);
    received.add(reference);
    tx?.created.push({ line, reference });
    return line;
  }

  /** Replaces a line's fields (PATCH); returns the updated line. */
  update(
    journalId: string,
    id: string,
    fields: Partial<JournalLine>,
    tx?: Transaction,
  ): JournalLine | undefined {
    const lines = this.#byJournal.get(journalId) ?? [];
    const at = lines.findIndex((l) => l.id === id);
    const before = lines[at];
    if (before === undefined) return undefined;
    const after: JournalLine = {
      ...before,
      ...fields,
      id: before.id,
      journalId,
      lastModifiedDateTime: new Date().toISOString(),
    };
    lines[at] = after;
    tx?.undo.push(() => {
      const now = this.#byJournal.get(journalId) ?? [];
      const i = now.findIndex((l) => l.id === id);
      if (i >= 0) now[i] = before;
    });
    return after;
  }

  /** Deletes a line (DELETE); the receipt stays counted: the system did receive it. */
  delete(journalId: string, id: string, tx?: Transaction): boolean {
    const lines = this.#byJournal.get(journalId) ?? [];
    const at = lines.findIndex((l) => l.id === id);
    const before = lines[at];
    if (before === undefined) return false;
    lines.splice(at, 1);
    tx?.undo.push(() => {
      const now = this.#byJournal.get(journalId) ?? [];
      now.splice(Math.min(at, now.length), 0, before);
      this.#byJournal.set(journalId, now);
    });
    return true;
  }

  /** Empties a journal (its lines were posted). */
  removeAll(journalId: string): void {
    this.#byJournal.delete(journalId);
  }

  /** Undoes every change recorded in `tx`. */
  rollback(tx: Transaction, received: ReceivedCounter): void {
    for (const step of tx.undo.reverse()) step();
    tx.undo = [];
    for (const { line, reference } of tx.created) {
      const lines = this.#byJournal.get(line.journalId) ?? [];
      this.#byJournal.set(
        line.journalId,
        lines.filter((l) => l.id !== line.id),
      );
      received.remove(reference);
    }
    tx.created = [];
  }

  clear(): void {
    this.#byJournal.clear();
  }
}
