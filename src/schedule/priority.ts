// The one priority rule shared by live runs and `simulate`: which ready step goes first.
//
// eager: the longest remaining critical path (bottom level) first; ties go to the step defined
//        first in the strategy (lower index). Deterministic for equal input.
// waves: the lower dependency level first (the barrier only releases one level at a time),
//        then the same rule as eager inside the level.
import type { Scheduling } from "./scheduling.js";

/** Everything the rule looks at, per step index. */
export interface PriorityInputs {
  bottomLevel: ArrayLike<number>;
  level: ArrayLike<number>;
}

/** Returns true when step `a` must be dispatched before step `b`. */
export type Before = (a: number, b: number) => boolean;

export function priorityRule(mode: Scheduling, inputs: PriorityInputs): Before {
  const { bottomLevel: bl, level } = inputs;
  const eager: Before = (a, b) => (bl[a]! !== bl[b]! ? bl[a]! > bl[b]! : a < b);
  if (mode === "eager") return eager;
  return (a, b) => (level[a]! !== level[b]! ? level[a]! < level[b]! : eager(a, b));
}

/**
 * The rule over units: steps, and the items of `forEach` steps (../run/units.ts). An item ranks as
 * its step does, and items of one step go in list order (their units are numbered so): the order
 * `simulate` gives a fan-out's items.
 */
export function unitPriority(before: Before, stepOf: ArrayLike<number>): Before {
  return (a, b) => {
    const sa = stepOf[a]!;
    const sb = stepOf[b]!;
    return sa !== sb ? before(sa, sb) : a < b;
  };
}

/** Each of `n` steps' place in the order of `before` (0 goes first): what a queue's priority can carry. */
export function rankOrder(before: Before, n: number): Int32Array {
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
  const rank = new Int32Array(n);
  order.forEach((step, k) => (rank[step] = k));
  return rank;
}
