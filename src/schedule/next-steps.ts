// The scheduler proper: given the state of a run, which ready steps to dispatch now.
// It owns no clock and no threads, so live runs and `simulate` call the same function.
import type { ReadyQueue } from "./ready-queue.js";
import type { Scheduling } from "./scheduling.js";

/** The part of a run's state the scheduler reads (and, for the queue, pops from). */
export interface ScheduleState {
  readonly mode: Scheduling;
  /** Steps whose dependencies have all completed and that were not dispatched yet. */
  readonly ready: ReadyQueue;
  /** Steps of this run in flight now. */
  readonly running: number;
  /** At most this many steps in flight (Infinity for no limit). */
  readonly limit: number;
  /** Dependency level of each step. */
  readonly level: ArrayLike<number>;
  /** waves mode: the lowest level that still has unsettled steps. */
  readonly openLevel: number;
}

/** Pops and returns the steps to dispatch now, in dispatch order. */
export function nextSteps(state: ScheduleState): number[] {
  const picked: number[] = [];
  let free = state.limit - state.running;
  while (free > 0 && state.ready.size > 0) {
    const top = state.ready.peek()!;
    if (state.mode === "waves" && state.level[top]! > state.openLevel) break;
    picked.push(state.ready.pop()!);
    free--;
  }
  return picked;
}
