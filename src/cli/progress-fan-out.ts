// What a progress display knows of a fan-out's items: each item's phase, the counts by phase kept up
// as items move (so a frame of a 10,000-item fan-out costs no more than one of a step), and the
// words for them: `12/40 done · 2 running · 26 queued · 1 failed`.
import type { StepPhase } from "./progress-model.js";

const NO_COUNTS: Readonly<Record<StepPhase, number>> = {
  queued: 0, running: 0, completed: 0, failed: 0, timed_out: 0, skipped: 0, cancelled: 0, paused: 0,
};

export class FanOutProgress {
  /** How many items the list has, once known: the run's result says, or a resumed state. */
  total: number | undefined;
  /** When the first item started (event time). */
  startedAt: number | undefined;
  /** When the last item ended so far (event time). */
  endedAt: number | undefined;
  /** The latest progress message or streamed chunk of an item, `[3] text`. */
  message: string | undefined;
  /** The latest error of an item, `[5] QuotaError: no quota left`. */
  error: string | undefined;
  readonly #phases = new Map<number, StepPhase>();
  readonly #counts: Record<StepPhase, number> = { ...NO_COUNTS };

  /** Moves item `item` to `phase`. */
  set(item: number, phase: StepPhase): void {
    const before = this.#phases.get(item);
    if (before !== undefined) this.#counts[before]--;
    this.#phases.set(item, phase);
    this.#counts[phase]++;
  }

  /** How many items are in `phase`; items not heard of yet are queued when the total is known. */
  count(phase: StepPhase): number {
    if (phase !== "queued" || this.total === undefined) return this.#counts[phase];
    return this.#counts.queued + Math.max(0, this.total - this.#phases.size);
  }

  /** Whether anything is known of the items: their number, or an event of one. */
  get known(): boolean {
    return this.total !== undefined || this.#phases.size > 0;
  }

  /** Items that ended for good or for this attempt: completed, failed, timed out, cancelled, skipped. */
  get ended(): number {
    const c = this.#counts;
    return c.completed + c.failed + c.timed_out + c.cancelled + c.skipped;
  }

  /** `12/40 done · 2 running · 26 queued · 1 failed` (`12 done · 2 running` while the total is unknown). */
  text(): string {
    const done = this.count("completed");
    const parts = [this.total === undefined ? `${done} done` : `${done}/${this.total} done`];
    const failed = this.count("failed") + this.count("timed_out");
    for (const [n, word] of [
      [this.count("running"), "running"], [this.count("queued"), "queued"], [failed, "failed"],
      [this.count("cancelled"), "cancelled"], [this.count("skipped"), "skipped"], [this.count("paused"), "paused"],
    ] as const) {
      if (n > 0) parts.push(`${n} ${word}`);
    }
    return parts.join(" · ");
  }
}
