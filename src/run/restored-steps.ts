// What a saved state gives a resumed run, step by step: the steps it completed, with their records
// and outputs, and the `repeat` steps it caught between iterations, which go on at the next one.
// Items of fan-outs are taken when their lists are known (./fan-out-items.ts).
import type { DependencyGraph } from "../graph/dependency-graph.js";
import { itemOutputs } from "./fan-out-records.js";
import type { StepRecord } from "./result.js";
import type { SavedRunState } from "./state-file.js";

/** A step of the run (by index) with the record and output a saved state gives it. */
export interface RestoredStep {
  i: number;
  /** A copy of the saved record, the run's own from now on. */
  record: StepRecord;
  output: unknown;
}

export interface RestoredSteps {
  /** Steps the state completed: done, not run again. */
  completed: RestoredStep[];
  /**
   * `repeat` steps with finished iterations that did not complete (the run was killed, paused,
   * cancelled or failed in a later iteration): `record.iterations` of them finished, `output` is the
   * last one's. Their records keep their attempts and history, and are pending again.
   */
  iterating: RestoredStep[];
}

/** The steps of `graph` that `saved` completed, or left between iterations. */
export function restoredSteps(graph: DependencyGraph, saved: SavedRunState): RestoredSteps {
  const byId = new Map(saved.steps.map((r) => [r.stepId, r]));
  const restored: RestoredSteps = { completed: [], iterating: [] };
  graph.steps.forEach((step, i) => {
    const record = byId.get(step.stepId);
    if (record === undefined || record.parent !== undefined) return;
    if (record.status === "completed") {
      // A fan-out's output is its items' (a journal does not save it twice).
      const output = saved.outputs.has(step.outputKey) ? saved.outputs.get(step.outputKey) : itemOutputs(step.outputKey, record.items, saved.outputs);
      if (output !== undefined || saved.outputs.has(step.outputKey)) restored.completed.push({ i, record: structuredClone(record), output });
      return;
    }
    // States written before iterations were saved have `iterations` without the output: run from the first.
    const done = record.iterations;
    const max = step.repeat?.maxIterations;
    if (max === undefined || !Number.isInteger(done) || done! < 1 || done! >= max || !saved.outputs.has(step.outputKey)) return;
    const { error: _error, skipReason: _skipReason, ...kept } = structuredClone(record);
    restored.iterating.push({ i, record: { ...kept, status: "pending" }, output: saved.outputs.get(step.outputKey) });
  });
  return restored;
}
