// Steps that wait inside the pool beyond its threads, so that a thread that ends a step finds the
// next one in Piscina's own queue at once instead of sleeping through a round trip of the main
// thread's loop (one step queued per thread).
//
// A step handed over early must not take a thread that the scheduler, deciding when that thread
// frees, would give to another step. The pool's queue is first in, first out, and the scheduler
// would pick the highest-priority ready step at that moment; so a step may wait in the pool only if
// it outranks every step that could become ready before it starts. Those are dependents of steps in
// flight (running or waiting in the pool), and a repeat step in flight itself (its next
// iteration): nothing else becomes ready. With that rule, the order in which steps reach threads is
// the order the scheduler gives when it decides at every end, which is what `simulate` computes:
// equal by construction, not by timing (test/queue-ahead.test.ts checks it against `simulate` on
// random graphs).
import type { Before } from "./priority.js";
import type { ScheduleState } from "./next-steps.js";

export class AheadGuard {
  readonly #before: Before;
  /** The highest-priority dependent of each step, -1 for none. */
  readonly #bestChild: Int32Array;
  /** The best dependent of every step in flight that has one (a multiset: a step may be several steps' best). */
  readonly #children: number[] = [];

  /** The best of what an item of each step may make ready: its step's best dependent, or another item of it. */
  readonly #itemChild: Int32Array;
  /** The step of each unit (an item's unit is past the steps: ../run/units.ts). */
  readonly #stepOf: ArrayLike<number>;

  /**
   * `again(i)`: step `i` may become ready again when it ends (a repeat step's next iteration);
   * `limited(i)`: an item of fan-out step `i` that ends may release another (its forEachConcurrency).
   * `stepOf` maps units to steps (`before` ranks units).
   */
  constructor(
    before: Before, dependents: readonly (readonly number[])[],
    options: { again?: (i: number) => boolean; limited?: (i: number) => boolean; stepOf?: ArrayLike<number> } = {},
  ) {
    const { again = () => false, limited = () => false } = options;
    this.#before = before;
    this.#stepOf = options.stepOf ?? { length: 0 };
    this.#bestChild = new Int32Array(dependents.length).fill(-1);
    this.#itemChild = new Int32Array(dependents.length).fill(-1);
    dependents.forEach((ds, i) => {
      let best = again(i) ? i : -1;
      for (const d of ds) if (best < 0 || before(d, best)) best = d;
      this.#bestChild[i] = best;
      // An item released later ranks as its step, after the items before it: nothing of the step outranks it.
      this.#itemChild[i] = limited(i) && (best < 0 || before(i, best)) ? i : best;
    });
  }

  #childOf(u: number): number {
    return u < this.#bestChild.length ? this.#bestChild[u]! : this.#itemChild[this.#stepOf[u]!]!;
  }

  /** Unit `i` was handed to the pool. */
  add(i: number): void {
    const c = this.#childOf(i);
    if (c >= 0) this.#children.push(c);
  }

  /** Unit `i` left the pool (it ended). */
  remove(i: number): void {
    const c = this.#childOf(i);
    if (c < 0) return;
    const children = this.#children;
    const k = children.lastIndexOf(c);
    if (k < 0) return;
    children[k] = children[children.length - 1]!;
    children.pop();
  }

  /** True when step `j` outranks every step that could become ready while it waits in the pool. */
  allows(j: number): boolean {
    for (const c of this.#children) if (!this.#before(j, c)) return false;
    return true;
  }
}

/**
 * The ready step that may wait in the pool now, popped from the ready queue, or undefined. `limit`
 * is how many steps may be in the pool in all (running and waiting); the waves barrier holds as in
 * `nextSteps`.
 */
export function aheadStep(state: ScheduleState, guard: AheadGuard): number | undefined {
  if (state.running >= state.limit) return undefined;
  const top = state.ready.peek();
  if (top === undefined) return undefined;
  if (state.mode === "waves" && state.level[top]! > state.openLevel) return undefined;
  return guard.allows(top) ? state.ready.pop() : undefined;
}
