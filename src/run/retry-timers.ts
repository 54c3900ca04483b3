// The retries a run waits for: one backoff timer per unit whose attempt failed and will be tried
// again. A run is not over while one waits, and a run that stops clears them all.

export class RetryTimers {
  readonly #timers = new Map<number, NodeJS.Timeout>();

  /** How many retries wait. */
  get size(): number {
    return this.#timers.size;
  }

  /** Unit `u` is tried again in `ms`: `fire` is called then, once the timer is forgotten. */
  wait(u: number, ms: number, fire: () => void): void {
    this.#timers.set(u, setTimeout(() => {
      this.#timers.delete(u);
      fire();
    }, ms));
  }

  /** No retry waits any more. */
  clear(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}
