// What `execute` resolves with, made from a run's state when it ends.
import type { ParallelOrchestrationResult, Redesign, StateError } from "./result.js";
import type { RunState, Stop } from "./run-state.js";

export interface ResultMeta {
  runId: string;
  stop: Stop;
  startedAt: number;
  endedAt: number;
  stateError: StateError | undefined;
  terminationReason?: string | undefined;
  redesigns?: Redesign[];
}

/**
 * The result of a run in `state`. It succeeded when every step and item completed or was skipped
 * by a condition or a termination; `stepsSkipped` counts steps, not items.
 */
export function runResult(state: RunState, meta: ResultMeta): ParallelOrchestrationResult {
  const records = state.orderedRecords();
  let success = true;
  let skipped = 0;
  for (const r of records) {
    if (r.status === "skipped" && r.parent === undefined) skipped++;
    if (r.status !== "completed" && !(r.status === "skipped" && (r.skipReason === "condition" || r.skipReason === "terminated"))) success = false;
  }
  const cancelled = meta.stop === "cancelled";
  const terminated = meta.stop === "terminated";
  const paused = !cancelled && !terminated && state.pendingApprovals.length > 0;
  const result: ParallelOrchestrationResult = {
    runId: meta.runId, success, cancelled, paused, pendingApprovals: state.pendingApprovals,
    context: state.context, waves: state.graph.waves.map((w) => [...w]), steps: records,
    stepsExecuted: state.executed, stepsSkipped: skipped, terminated, redesigns: meta.redesigns ?? [],
    startedAt: meta.startedAt, endedAt: meta.endedAt, durationMs: meta.endedAt - meta.startedAt,
  };
  if (terminated && meta.terminationReason !== undefined) result.terminationReason = meta.terminationReason;
  if (!success && state.firstError) result.error = state.firstError;
  if (paused) result.pauseReason = state.pendingApprovals.map((p) => `step ${p.stepId} waits for approval: ${p.message}`).join("; ");
  if (meta.stateError) result.stateError = meta.stateError;
  return result;
}
