// What a run hands to the strategy `onStepFailed` gave: the completed steps the new strategy has
// unchanged (same id, agent and intent template), with their outputs and records, and the
// completed items of such fan-out steps, under the new strategy's output keys.
import type { DependencyGraph } from "../graph/dependency-graph.js";
import { checkInputs } from "../graph/check-inputs.js";
import { describeValue } from "../strategy/describe-value.js";
import { StrategyMap } from "../strategy/strategy-map.js";
import type { ParallelOrchestrationResult, StepRecord } from "./result.js";
import type { SavedRunState } from "./state-file.js";

/** The completed work of `result` (a run of `before`) that `next` keeps: step ids, and the state to start `next` from. */
export function keptState(result: ParallelOrchestrationResult, before: StrategyMap, next: StrategyMap): {
  kept: string[];
  state: Pick<SavedRunState, "format" | "version" | "steps" | "outputs" | "pendingApprovals">;
} {
  const old = new Map(result.steps.filter((r) => r.parent === undefined).map((r) => [r.stepId, r]));
  const kept: string[] = [];
  const steps: StepRecord[] = [];
  const outputs = new Map<string, unknown>();
  /** Old step id -> its output key in `next`, for the steps whose items are kept. */
  const fanOuts = new Map<string, string>();
  for (const step of next.steps) {
    const record = old.get(step.stepId);
    if (record === undefined || record.agent !== step.assignedAgent) continue;
    if (before.getStep(step.stepId)?.intentTemplate !== step.intentTemplate) continue;
    if (record.items !== undefined) fanOuts.set(step.stepId, step.outputKey);
    if (record.status !== "completed" || !result.context.has(record.outputKey)) continue;
    kept.push(step.stepId);
    steps.push({ ...record, outputKey: step.outputKey });
    outputs.set(step.outputKey, result.context.get(record.outputKey));
  }
  // Finished items of a fan-out that did not finish as a whole: not run again either.
  for (const record of result.steps) {
    const key = record.parent === undefined ? undefined : fanOuts.get(record.parent);
    if (key === undefined || record.status !== "completed" || !result.context.has(record.outputKey)) continue;
    const outputKey = `${key}[${record.item}]`;
    steps.push({ ...record, outputKey });
    outputs.set(outputKey, result.context.get(record.outputKey));
  }
  return { kept, state: { format: "wavepool-state", version: 1, steps, outputs, pendingApprovals: [] } };
}

/**
 * Why `next` (what `onStepFailed` returned) cannot replace a run's strategy, or undefined if it can:
 * it must be a `StrategyMap` whose graph builds, whose agents `agentsOf` knows, and whose inputs exist.
 */
export function redesignProblem(next: unknown, agentsOf: (graph: DependencyGraph) => unknown, inputs: Record<string, unknown>): string | undefined {
  if (!(next instanceof StrategyMap)) return `${describeValue(next)}, not a StrategyMap`;
  try {
    const graph = next.graph();
    agentsOf(graph);
    checkInputs(graph, new Set(["task", ...Object.keys(inputs)]));
  } catch (error) {
    return `a strategy that cannot run: ${(error as Error)?.message ?? String(error)}`;
  }
  return undefined;
}
