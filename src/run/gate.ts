// What a step that became ready turns into: units for the scheduler (the step itself, or the items
// of its list), a skip (its `when` is false: it and its dependents), or a failure before any thread
// (a `when` or `forEach` that cannot be evaluated, a list that is not one). Fan-outs in flight hand
// over their remaining items as earlier ones settle (`forEachConcurrency`).
import type { WavepoolError } from "../errors.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { AgentSpec } from "../pool/protocol.js";
import type { AttemptContext } from "./attempt.js";
import type { Conditions } from "./conditions.js";
import { FanOut, forEachList } from "./fan-out.js";
import type { Lanes } from "./lanes.js";
import { runConstants } from "./run-constants.js";
import type { RunState } from "./run-state.js";
import type { Units } from "./units.js";

/** What a ready step became. */
export type Admission =
  /** `items`: a fan-out's number of items (its units are the first of them, as many as may go now). */
  | { kind: "units"; units: readonly number[]; items?: number }
  /** Its `when` is false: it and the dependents skipped with it, the step first. */
  | { kind: "skipped"; skipped: readonly number[] }
  | { kind: "failed"; error: WavepoolError };

export interface GateParts {
  graph: DependencyGraph;
  state: RunState;
  units: Units;
  conditions: Conditions;
  lanes: Lanes;
  /** Each step's agent, by step index. */
  agents: readonly AgentSpec[];
  /** What the run's attempts share (there once the run has started). */
  attempts(): AttemptContext;
}

export class Gate {
  readonly #p: GateParts;
  readonly #fans = new Map<number, FanOut>();

  constructor(parts: GateParts) {
    this.#p = parts;
  }

  /** Step `i` is ready (every step it depends on completed). */
  admit(i: number): Admission {
    const { conditions, graph, state } = this.#p;
    let runs: boolean;
    try {
      runs = conditions.admits(i);
    } catch (error) {
      return { kind: "failed", error: error as WavepoolError };
    }
    if (!runs) return { kind: "skipped", skipped: state.skipByCondition(i) };
    if (graph.dynamic[i]?.forEach === undefined) return { kind: "units", units: [i] };
    let values: unknown[];
    try {
      values = forEachList(graph, i, (key) => state.context.get(key));
    } catch (error) {
      return { kind: "failed", error: error as WavepoolError };
    }
    return { kind: "units", units: this.#expand(i, values), items: values.length };
  }

  /** The fan-out unit `u` is an item of, if it is one. */
  fanOutOf(u: number): FanOut | undefined {
    return this.#p.units.isItem(u) ? this.#fans.get(this.#p.units.stepOf[u]!) : undefined;
  }

  /** Item unit `u` settled for good: the items its fan-out may hand over now (none once the run stops). */
  itemSettled(u: number, stopping: boolean): readonly number[] {
    const fan = this.fanOutOf(u)!;
    fan.itemSettled();
    return stopping ? [] : fan.release();
  }

  /** The run is over: threads may drop what they keep of its fan-outs. */
  close(): void {
    for (const fan of this.#fans.values()) fan.close();
  }

  #expand(i: number, values: unknown[]): number[] {
    const { units, state, lanes, graph, agents } = this.#p;
    const base = units.addItems(i, values.length);
    const toRun = state.expand(i, base, values.length);
    const step = graph.steps[i]!;
    const fan = new FanOut(i, base, values, toRun, step.forEachConcurrency ?? Infinity, this.#p.attempts());
    this.#fans.set(i, fan);
    if (toRun.length > 0) {
      const ids = values.map((_, k) => `${step.stepId}[${k}]`);
      fan.callId = lanes.open(fan.clock, (slot) => base + slot, (identity) => runConstants(identity, ids, values.map(() => agents[i]!)));
    }
    return fan.release();
  }
}
