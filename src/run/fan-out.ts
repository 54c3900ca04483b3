// A `forEach` step in flight: its list, evaluated once the values its expression reads exist, and
// its items. The items run on a clock of their own (a lane: one slot per item, registered on the
// pool's host channel under a call id of its own, with constants naming each item), so a fan-out
// of any size needs nothing of the run's step clock, and reach the scheduler no faster than the
// step's `forEachConcurrency` allows.
import { StrategyValidationError } from "../errors.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import { expressionScope } from "../graph/expression.js";
import { clockTimes, createClock, markRunEnded } from "../pool/step-clock.js";
import { toWire } from "../pool/wire-value.js";
import type { AttemptContext } from "./attempt.js";
import type { Locals } from "./intent.js";

/**
 * The list of fan-out step `i`: its `forEach` evaluated with the context (`valueOf` a key). Throws
 * `StrategyValidationError` (path `steps[i].forEach`) if evaluating fails or gives anything but an array.
 */
export function forEachList(graph: DependencyGraph, i: number, valueOf: (key: string) => unknown): unknown[] {
  const forEach = graph.dynamic[i]!.forEach!;
  const step = graph.steps[i]!;
  const fail = (what: string, cause?: unknown): never => {
    throw new StrategyValidationError(`the forEach expression of step ${step.stepId} (${forEach.text}) ${what}`, {
      path: `steps[${i}].forEach`, stepId: step.stepId, agent: step.assignedAgent, ...(cause === undefined ? {} : { cause }),
    });
  };
  let list: unknown;
  try {
    list = forEach.evaluate(expressionScope(forEach.reads, graph.contextKey, valueOf));
  } catch (cause) {
    return fail(`failed to evaluate: ${(cause as Error)?.message ?? String(cause)}`, cause);
  }
  if (!Array.isArray(list)) return fail(`gave ${describe(list)}, not an array: a step runs once per item of a list`);
  return list;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing (undefined: is the path right?)";
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "Object"})`;
  return `a ${typeof value} (${JSON.stringify(value)?.slice(0, 40) ?? String(value)})`;
}

export class FanOut {
  readonly step: number;
  /** The unit of item 0 (./units.ts). */
  readonly base: number;
  readonly values: readonly unknown[];
  readonly clock: Int32Array;
  /** What the items' attempts share: the run's, with this fan-out's clock. */
  readonly attempts: AttemptContext;
  /** The call id of the lane: the items' tasks carry it, their calls back come with it. */
  callId = 0;
  /** Items not handed to the scheduler yet, in order. */
  readonly #waiting: number[];
  readonly #limit: number;
  #inFlight = 0;

  /** `toRun`: the item units that must run (not restored from a saved state). */
  constructor(step: number, base: number, values: readonly unknown[], toRun: readonly number[], limit: number, run: AttemptContext) {
    this.step = step;
    this.base = base;
    this.values = values;
    this.clock = createClock(values.length);
    this.attempts = { ...run, clock: this.clock, times: clockTimes(this.clock) };
    this.#waiting = [...toRun].reverse();
    this.#limit = limit;
  }

  /** The items to hand to the scheduler now: as many as the limit allows. */
  release(): number[] {
    const released: number[] = [];
    while (this.#inFlight < this.#limit && this.#waiting.length > 0) {
      released.push(this.#waiting.pop()!);
      this.#inFlight++;
    }
    return released;
  }

  /** An item released earlier settled for good (not to be retried): room for another. */
  itemSettled(): void {
    this.#inFlight--;
  }

  /** The slot of item unit `u` on this lane's clock. */
  slotOf(u: number): number {
    return u - this.base;
  }

  /** The locals of item unit `u`'s template: `item` and `index`. Throws if the item cannot cross to a thread. */
  locals(u: number): Locals {
    const index = u - this.base;
    const item = this.values[index];
    return { item: { value: item, wire: toWire(item) }, index: { value: index, wire: index } };
  }

  /** The run is over: threads may drop what they keep of this lane. */
  close(): void {
    markRunEnded(this.clock);
  }
}
