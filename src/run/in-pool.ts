// The steps a run has handed to the pool: how many may be there (the concurrency limit, and one
// more per thread waiting in the pool's queue when that keeps the order, ../schedule/queue-ahead.ts;
// more for steps that take next to nothing, which may wait on a thread, ../pool/pool-balancer.ts),
// and which of them wait rather than run. A waiting step starts when one of the run's steps ends:
// the pool gives the freed thread the next step before the run hears of the end.
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { ScheduleState } from "../schedule/next-steps.js";
import type { Before } from "../schedule/priority.js";
import { aheadStep, AheadGuard } from "../schedule/queue-ahead.js";
import type { RunSetup } from "./run-setup.js";

/**
 * A step whose measured duration is at most this (ms) takes next to nothing next to its dispatch:
 * it may wait on a thread behind other such steps (../pool/pool-balancer.ts). Steps never measured
 * (a run's first) are not.
 */
export const TINY_STEP_MS = 0.25;

export interface InPoolOptions {
  /** The run's concurrency limit. */
  limit: number;
  /** The pool's threads. */
  threads: number;
  /** On the orchestrator's own pool: steps may wait in the pool beyond its threads. */
  own?: {
    /** How many threads may take steps now (the pool grows once the first run starts, ../pool/warm-up.ts). */
    usableThreads(): number;
    /** How many tiny steps may wait on a thread. */
    stackedPerThread: number;
    /** Which steps are tiny (`TINY_STEP_MS`), by index. */
    tiny: Uint8Array;
  };
}

export class InPool {
  readonly #limit: number;
  readonly #threads: number;
  #usable: (() => number) | undefined;
  readonly #aheadLimit: number;
  readonly #tinyLimit: number;
  readonly #tiny: Uint8Array | undefined;
  /** The step of each unit (items of fan-outs are tiny when their step is). */
  readonly #stepOf: ArrayLike<number>;
  readonly #guard: AheadGuard | undefined;
  /** Handed over and waiting in the pool (first in, first out), not on a thread yet. */
  readonly #waiting: number[] = [];

  /**
   * A limit below the pool's threads is kept by handing over no more; an unlimited run hands over
   * everything ready, as asked; queueing ahead needs the orchestrator's own pool, whose queue is
   * first in, first out.
   */
  constructor(graph: DependencyGraph, before: Before, options: InPoolOptions, stepOf: ArrayLike<number> = graph.steps.map((_, i) => i)) {
    const { limit, threads, own } = options;
    const ahead = own !== undefined && limit >= threads && limit !== Infinity;
    this.#limit = ahead ? threads : limit;
    this.#threads = threads;
    this.#usable = own?.usableThreads;
    this.#aheadLimit = ahead ? 2 * threads : limit;
    this.#tinyLimit = ahead ? (2 + own.stackedPerThread) * threads : limit;
    this.#tiny = ahead ? own.tiny : undefined;
    this.#stepOf = stepOf;
    this.#guard = ahead ? new AheadGuard(before, graph.dependents, {
      again: (i) => graph.dynamic[i]?.until !== undefined,
      limited: (i) => graph.steps[i]!.forEachConcurrency !== undefined,
      stepOf,
    }) : undefined;
  }

  /** What a run of `setup` (prioritised by `before`) may hand to its pool. */
  static of(setup: RunSetup, before: Before, stepOf?: ArrayLike<number>): InPool {
    const { graph, config, defaultLimit, ownPool } = setup;
    const tiny = (i: number): number => ((setup.learnedMs(graph.steps[i]!.stepId) ?? Infinity) <= TINY_STEP_MS ? 1 : 0);
    return new InPool(graph, before, {
      limit: config.maxConcurrentTasks ?? defaultLimit, threads: defaultLimit,
      ...(ownPool ? { own: { ...ownPool, tiny: Uint8Array.from(graph.steps, (_, i) => tiny(i)) } } : {}),
    }, stepOf);
  }

  /** Whether step `i` may wait on a thread behind other tiny steps. */
  tiny(i: number): boolean {
    return this.#tiny?.[this.#stepOf[i]!] === 1;
  }

  /**
   * Steps that may run at once: the run's limit, at most the pool's threads when queueing ahead. While
   * the pool grows, at most its usable threads (at least one): a step handed to a pool with no idle
   * thread would make it start one more thread at once, and the threads that start compete with
   * the run for the cores.
   */
  get limit(): number {
    const usable = this.#growing();
    return usable === undefined ? this.#limit : Math.min(this.#limit, Math.max(1, usable));
  }

  /** While the pool has not had all its threads usable yet, how many are; else undefined. */
  #growing(): number | undefined {
    if (this.#usable === undefined) return undefined;
    const usable = this.#usable();
    // Once full, the pool replaces a thread that exits on its own: a step handed over meanwhile
    // only waits a little, so the run stops asking.
    if (usable < this.#threads) return usable;
    this.#usable = undefined;
    return undefined;
  }

  /** A ready step to hand over to wait in the pool, popped from `state.ready`, or undefined. */
  ahead(state: ScheduleState & { limit: number }): number | undefined {
    if (this.#guard === undefined || this.#growing() !== undefined) return undefined;
    const top = state.ready.peek();
    state.limit = top !== undefined && this.tiny(top) ? this.#tinyLimit : this.#aheadLimit;
    return aheadStep(state, this.#guard);
  }

  /** Step `i` was handed to the pool; `queued`: it waits in the pool's queue. */
  handed(i: number, queued: boolean): void {
    this.#guard?.add(i);
    if (queued) this.#waiting.push(i);
  }

  /**
   * Step `i` left the pool. Returns -1 if it was still waiting there (it starts and ends at once: a
   * cancelled step that skipped itself); else the step that took its thread, or -2 for none.
   */
  left(i: number): number {
    this.#guard?.remove(i);
    const waiting = this.#waiting;
    if (waiting.length === 0) return -2;
    const k = waiting.indexOf(i);
    if (k < 0) return waiting.shift()!;
    waiting.splice(k, 1);
    return -1;
  }
}
