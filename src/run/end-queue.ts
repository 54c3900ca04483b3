// Attempt ends applied in bounded slices. A thread's MessagePort hands over every message it has
// queued in one go, so a burst of step ends (many threads, or a main thread that fell behind under
// load) would otherwise be applied back to back in one macrotask and hold the event loop for as long
// as they all take. Here the ends are applied in arrival order, as they come, until the main thread
// has spent `budgetMs` on them without a break; the rest wait for the next turn of the loop
// (`setImmediate`), so timers, I/O and the caller's own callbacks run between slices. The order in
// which ends are applied, and so every scheduling decision, is the same either way.

/**
 * How long the ends of a burst may hold the event loop before the rest wait for its next turn, ms.
 * Shorter slices cost throughput: while the rest of a burst waits, no step is dispatched and the
 * threads may run dry (saved runs of 256 KiB outputs took a fifth longer with 5 ms, under a tenth
 * with 10 ms, for about the same longest stall; benchmarks/state-journal.ts).
 */
export const END_SLICE_MS = 10;

/**
 * A gap longer than this between two ends means the loop turned in between (the second end came
 * with a new message, or after a timer): the slice starts again, ms. Times are `Date.now()`, which
 * costs a fraction of `performance.now()` and is fine enough for a budget of a few ms.
 */
export const TURN_GAP_MS = 1;

export class EndQueue<A, B> {
  readonly #apply: (a: A, b: B) => void;
  readonly #budgetMs: number;
  readonly #gapMs: number;
  /** Waiting ends, two entries each (`a`, `b`), from `#head` on. */
  #items: (A | B)[] = [];
  #head = 0;
  /** When the current slice began, and when the last end of it was applied. */
  #sliceStart = -Infinity;
  #lastApplied = -Infinity;
  #scheduled = false;

  /**
   * `apply` is called once per end, in the order of `push`; it must not throw. Tests give other
   * `budgetMs` and `gapMs` than `END_SLICE_MS` and `TURN_GAP_MS`.
   */
  constructor(apply: (a: A, b: B) => void, { budgetMs = END_SLICE_MS, gapMs = TURN_GAP_MS } = {}) {
    this.#apply = apply;
    this.#budgetMs = budgetMs;
    this.#gapMs = gapMs;
  }

  /** An end arrived: applied now, unless ends wait already or this slice has used its time. */
  push(a: A, b: B): void {
    if (this.#scheduled) {
      this.#items.push(a, b);
      return;
    }
    const now = Date.now();
    if (this.#lastApplied === -Infinity || now - this.#lastApplied > this.#gapMs) this.#sliceStart = now;
    else if (now - this.#sliceStart >= this.#budgetMs) {
      this.#items.push(a, b);
      this.#schedule();
      return;
    }
    this.#apply(a, b);
    this.#lastApplied = Date.now();
  }

  /** How many ends wait for the next turn of the loop. */
  get waiting(): number {
    return (this.#items.length - this.#head) / 2;
  }

  #schedule(): void {
    this.#scheduled = true;
    setImmediate(this.#drain);
  }

  readonly #drain = (): void => {
    const start = Date.now();
    let now = start;
    // At least one end per turn, however small the budget.
    do {
      const a = this.#items[this.#head] as A;
      const b = this.#items[this.#head + 1] as B;
      // Not kept alive by the queue once applied (an end holds its output's bytes).
      this.#items[this.#head++] = this.#items[this.#head++] = undefined as A;
      this.#apply(a, b);
      now = Date.now();
    } while (this.#head < this.#items.length && now - start < this.#budgetMs);
    if (this.#head < this.#items.length) {
      setImmediate(this.#drain);
      return;
    }
    this.#items = [];
    this.#head = 0;
    this.#scheduled = false;
    this.#sliceStart = start;
    this.#lastApplied = now;
  };
}
