// The end of a run, once nothing runs or can start: what it learned is kept, its clocks and lanes
// close, its state file is closed, and the result is made and reported (`run:end`).
import { preciseNow } from "../pool/precise-time.js";
import { markRunEnded } from "../pool/step-clock.js";
import type { Gate } from "./gate.js";
import type { Lanes } from "./lanes.js";
import type { ParallelOrchestrationResult } from "./result.js";
import type { RunJournal } from "./run-journal.js";
import type { RunReporter } from "./run-reporter.js";
import { runResult } from "./run-result.js";
import type { RunSetup } from "./run-setup.js";
import type { RunState, Stop } from "./run-state.js";

/** What a run closes and reads when it finishes. */
export interface FinishingRun {
  runId: string;
  setup: RunSetup;
  state: RunState;
  /** How long each step that completed took (ms), NaN for the others (`Settlement#measured`). */
  measured: Float64Array;
  lanes: Lanes;
  clock: Int32Array;
  gate: Gate;
  journal: RunJournal | undefined;
  report: RunReporter;
  startedAt: number;
}

/**
 * Finishes `run` and resolves with its result; `stopped` says how it stopped, read once its state
 * file is closed. Rejects only on a bug (the caller still resolves `execute`, with `resultNow`).
 */
export async function finishRun(run: FinishingRun, stopped: () => { stop: Stop; terminationReason: string | undefined }): Promise<ParallelOrchestrationResult> {
  const { runId, setup: { graph, learn }, report } = run;
  // Learned once, at the end: a call per step would cost the loop as much as a no-op step's bookkeeping.
  const { measured } = run;
  for (let i = 0; i < measured.length; i++) if (!Number.isNaN(measured[i]!)) learn(graph.steps[i]!.stepId, measured[i]!);
  run.lanes.close();
  markRunEnded(run.clock);
  run.gate.close();
  const stateError = await run.journal?.close();
  if (stateError !== undefined) report.log("error", `could not save the state to ${stateError.path}: ${stateError.message}; the file is stale`);
  const endedAt = preciseNow();
  const { stop, terminationReason } = stopped();
  const result = runResult(run.state, { runId, stop, startedAt: run.startedAt, endedAt, stateError, terminationReason });
  // A run that hands over to a redesign is not the end of `execute`: the run that goes on ends it.
  if (stop !== "redesigned") report.emit({ type: "run:end", runId, time: endedAt, result });
  return result;
}

/** The result of `run` as its state holds it now, with no state file closed: what a bug while finishing leaves. */
export function resultNow(run: Pick<FinishingRun, "runId" | "state" | "startedAt">, stop: Stop): ParallelOrchestrationResult {
  return runResult(run.state, { runId: run.runId, stop, startedAt: run.startedAt, endedAt: preciseNow(), stateError: undefined });
}
