/**
 * What the sandbox has accepted, per target: "our reference" → number of times an entry with it was
 * accepted. A duplicate export shows up as 2, which is how tests prove exactly-once.
 */

/** The two fake systems. */
export type SandboxTarget = "xledger" | "dynamics";

/** Body of `GET /__sandbox/state` (contract, docs/architecture.md §9). */
export interface SandboxState {
  xledger: { received: Record<string, number> };
  dynamics: { received: Record<string, number> };
}

/**
 * Counts accepted entries by reference for one target.
 *
 * @example
 * const counter = new ReceivedCounter();
 * counter.add("3f0c…"); counter.snapshot(); // { "3f0c…": 1 }
 */
export class ReceivedCounter {
  #counts = new Map<string, number>();

  /** One more accepted entry with this reference. */
  add(reference: string): void {
    this.#counts.set(reference, (this.#counts.get(reference) ?? 0) + 1);
  }

  /** Undoes one {@link add} (a rolled-back `$batch`). */
  remove(reference: string): void {
    const n = (this.#counts.get(reference) ?? 0) - 1;
    if (n <= 0) this.#counts.delete(reference);
    else this.#counts.set(reference, n);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#counts);
  }

  clear(): void {
    this.#counts.clear();
  }
}
