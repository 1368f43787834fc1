/**
 * A task that never runs twice at once: triggering it while it runs asks for one more run right
 * after, however many triggers arrive meanwhile (a burst of NOTIFYs or dispatches costs one extra
 * claim, not one each).
 *
 * @example
 * const claim = new CoalescedTask(() => fillFromQueue(), () => !stopping);
 * claim.trigger();
 * await claim.running;
 */
export class CoalescedTask {
  readonly #task: () => Promise<void>;
  readonly #allowed: () => boolean;
  readonly #afterEach: () => void;
  #running: Promise<void> | null = null;
  #again = false;

  /**
   * @param task never rejects (it logs its own failures)
   * @param allowed asked on every trigger, including the repeat: false ignores the trigger
   * @param afterEach called after every run ends (and any repeat is under way)
   */
  constructor(
    task: () => Promise<void>,
    allowed: () => boolean = () => true,
    afterEach: () => void = () => {},
  ) {
    this.#task = task;
    this.#allowed = allowed;
    this.#afterEach = afterEach;
  }

  /** The run under way, or null. */
  get running(): Promise<void> | null {
    return this.#running;
  }

  trigger(): void {
    if (!this.#allowed()) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#task().finally(() => {
      this.#running = null;
      if (this.#again) {
        this.#again = false;
        this.trigger();
      }
      this.#afterEach();
    });
  }
}
