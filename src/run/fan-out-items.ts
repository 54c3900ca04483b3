// The items of a run's fan-outs (`forEach` steps) in its state: their units' statuses and records
// once a list is known, the items a saved state completed (not run again), and each fan-out step
// settling once all its items have. The step transitions themselves are the run state's
// (./run-state.ts), which owns the units and hands them over through `FanOutHost`.
import type { DependencyGraph } from "../graph/dependency-graph.js";
import { itemRecord, orderedRecords, parentOutcome, type FanOutUnits } from "./fan-out-records.js";
import type { StepRecord, StepStatus } from "./result.js";
import type { SavedRunState } from "./state-file.js";

/** A fan-out step that settled once its items all had, and what that did: `ready` dependents, or `skipped` ones (it failed). */
export interface ParentSettled {
  step: number;
  status: StepStatus;
  ready: number[];
  skipped: number[];
}

/** What the fan-outs need of the run state: its units, and the transitions they cause. */
export interface FanOutHost {
  readonly graph: DependencyGraph;
  /** Status and record by unit: items are pushed after the steps as lists are known (./units.ts). */
  readonly status: StepStatus[];
  readonly records: StepRecord[];
  readonly context: ReadonlyMap<string, unknown>;
  /** Unit `u` completed with `output` (a step counts as executed); returns the dependents that became ready. */
  complete(u: number, output: unknown): number[];
  /** Step `i` settled as `status`, short of completing, with the error its record has; returns the dependents that skips. */
  fallShort(i: number, status: StepStatus): number[];
}

export class FanOutItems {
  readonly #host: FanOutHost;
  /** The fan-outs whose lists are known, by step. */
  readonly #fanOuts = new Map<number, FanOutUnits & { settled: number }>();
  /** Fan-out steps that settled since `takeSettledParents` was last called. */
  #parents: ParentSettled[] = [];
  /** Items a saved state completed, by id (`"<stepId>[<item>]"`): not run again when their fan-out expands. */
  #restored: Map<string, { record: StepRecord; output: unknown }> | undefined;

  constructor(host: FanOutHost) {
    this.#host = host;
  }

  /** Keeps the items `saved` completed, with their outputs, for when their fan-outs expand. */
  restore(saved: SavedRunState): void {
    this.#restored = new Map();
    for (const record of saved.steps) {
      if (record.parent !== undefined && record.status === "completed" && saved.outputs.has(record.outputKey)) {
        this.#restored.set(record.stepId, { record, output: saved.outputs.get(record.outputKey) });
      }
    }
  }

  /**
   * Fan-out step `i`'s list has `count` items, units `base`.. on (./units.ts): their records start
   * pending, and the items a saved state completed are completed now. Returns the items to run.
   */
  expand(i: number, base: number, count: number): number[] {
    const { graph, status, records } = this.#host;
    const step = graph.steps[i]!;
    status[i] = "running";
    records[i]!.items = count;
    this.#fanOuts.set(i, { base, count, settled: 0 });
    const toRun: number[] = [];
    for (let k = 0; k < count; k++) {
      const restored = this.#restored?.get(`${step.stepId}[${k}]`);
      status.push("pending");
      records.push(restored !== undefined ? structuredClone(restored.record) : itemRecord(step, k, graph.level[i]!));
      if (restored !== undefined) this.#host.complete(base + k, restored.output);
      else toRun.push(base + k);
    }
    if (count === 0) this.#parentSettles(i);
    return toRun;
  }

  /** Item unit `u` settled: its fan-out settles too once it was the last. */
  itemSettled(u: number): void {
    const i = this.#host.graph.indexOf.get(this.#host.records[u]!.parent!)!;
    const fan = this.#fanOuts.get(i)!;
    if (++fan.settled === fan.count) this.#parentSettles(i);
  }

  /** The fan-out steps that settled since the last call (their items all settled), and what that did. */
  takeSettledParents(): ParentSettled[] {
    const parents = this.#parents;
    if (parents.length > 0) this.#parents = [];
    return parents;
  }

  /** The records (by unit) in result order: each step's, its items' after it. */
  orderedRecords(steps: number): StepRecord[] {
    return orderedRecords(this.#host.records, steps, this.#fanOuts);
  }

  /** Every item of fan-out step `i` settled: so does it, completed with their outputs in order, or as its items went. */
  #parentSettles(i: number): void {
    const { records, context } = this.#host;
    const { base, count } = this.#fanOuts.get(i)!;
    const items = records.slice(base, base + count);
    const status = parentOutcome(records[i]!, items);
    if (status === "completed") {
      this.#parents.push({ step: i, status, ready: this.#host.complete(i, items.map((r) => context.get(r.outputKey))), skipped: [] });
      return;
    }
    this.#parents.push({ step: i, status, ready: [], skipped: this.#host.fallShort(i, status) });
  }
}
