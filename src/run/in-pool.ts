// The steps a run has handed to the pool: how many may be there (the concurrency limit, and one
// more per thread waiting in the pool's queue when that keeps the order, ../schedule/queue-ahead.ts),
// and which of them wait rather than run. A waiting step starts when one of the run's steps ends:
// the pool gives the freed thread the head of its queue before the run hears of the end.
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { ScheduleState } from "../schedule/next-steps.js";
import type { Before } from "../schedule/priority.js";
import { aheadStep, AheadGuard } from "../schedule/queue-ahead.js";

export class InPool {
  readonly #limit: number;
  readonly #threads: number;
  readonly #usable: (() => number) | undefined;
  readonly #aheadLimit: number;
  readonly #guard: AheadGuard | undefined;
  /** Handed over and waiting in the pool's queue (first in, first out), not on a thread yet. */
  readonly #waiting: number[] = [];

  /**
   * `limit`: the run's concurrency limit; `threads`: the pool's; `queueAhead`: how many steps may
   * wait in the pool's queue (0: none). A limit below the threads is kept by handing over no more;
   * an unlimited run hands over everything ready, as asked. `usable`: how many threads may take
   * steps now, on a pool that is still growing (../pool/warm-up.ts).
   */
  constructor(graph: DependencyGraph, before: Before, limit: number, threads: number, queueAhead: number, usable?: () => number) {
    const ahead = queueAhead > 0 && limit >= threads && limit !== Infinity;
    this.#limit = ahead ? threads : limit;
    this.#threads = threads;
    this.#usable = usable;
    this.#aheadLimit = ahead ? threads + queueAhead : limit;
    this.#guard = ahead ? new AheadGuard(before, graph.dependents) : undefined;
  }

  /**
   * Steps that may run at once: the run's limit, at most the pool's threads when queueing ahead. While
   * the pool grows, at most its usable threads (at least one): a step handed to a pool with no idle
   * thread would make it start one more thread at once, and the threads that start compete with
   * the run for the cores.
   */
  get limit(): number {
    const usable = this.#usable?.();
    return usable === undefined || usable >= this.#threads ? this.#limit : Math.min(this.#limit, Math.max(1, usable));
  }

  /** A ready step to hand over to wait in the pool's queue, popped from `state.ready`, or undefined. */
  ahead(state: ScheduleState & { limit: number }): number | undefined {
    if (this.#guard === undefined || (this.#usable !== undefined && this.#usable() < this.#threads)) return undefined;
    state.limit = this.#aheadLimit;
    return aheadStep(state, this.#guard);
  }

  /** Step `i` was handed to the pool; `queued`: it waits in the pool's queue. */
  handed(i: number, queued: boolean): void {
    this.#guard?.add(i);
    if (queued) this.#waiting.push(i);
  }

  /**
   * Step `i` left the pool. Returns -1 if it had never left the pool's queue (it starts and ends at
   * once: a cancelled step that skipped itself); else the step that took its thread, or undefined.
   */
  left(i: number): number | undefined {
    this.#guard?.remove(i);
    const waiting = this.#waiting;
    if (waiting.length === 0) return undefined;
    const k = waiting.indexOf(i);
    if (k < 0) return waiting.shift();
    waiting.splice(k, 1);
    return -1;
  }
}
