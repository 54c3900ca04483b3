// What a task tells the orchestrator's own pool about itself (./pool-queue.ts, ./pool-balancer.ts):
// Piscina's queue options, a symbol-keyed property of the task object, which structured cloning
// leaves out: a mark never crosses to the thread.
import { lazyRequire } from "../lazy-require.js";

export interface TaskMark {
  /** The task is the warm-up of this thread (./warm-up.ts): only it may take it, before anything else. */
  warmUpFor?: number;
  /**
   * The task is a step expected to take next to nothing (its measured duration is tiny): it may wait
   * on a thread behind other such steps instead of in the pool's queue (see `STACKED_PER_THREAD`).
   */
  stackable?: true;
}

export const STACKABLE: TaskMark = { stackable: true };

/** `task` with `mark` set. */
export function mark<T extends object>(task: T, mark: TaskMark): T {
  (task as Record<symbol, TaskMark>)[queueOptions()] = mark;
  return task;
}

/** The mark of a task, as Piscina shows it to a queue or a balancer, or undefined. */
export function markOf(task: object): TaskMark | undefined {
  return (task as Record<symbol, TaskMark | null | undefined>)[queueOptions()] ?? undefined;
}

let symbol: symbol | undefined;

function queueOptions(): symbol {
  return (symbol ??= lazyRequire<typeof import("piscina")>("piscina").Piscina.queueOptionsSymbol);
}
