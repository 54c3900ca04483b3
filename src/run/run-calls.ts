// What a run does with the calls its agents make back to the main thread (logs, progress, approval
// requests, partial outputs, stray errors) and with a thread's request for the run's constants: one registration per
// run on the pool's host hub. Calls from an attempt that is no longer its step's current one are dropped.
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { CallListener } from "../pool/host-channel.js";
import type { RunConstants } from "../pool/protocol.js";
import { threadOf } from "../pool/step-clock.js";
import type { ApprovalDesk } from "./approvals.js";
import type { StepRecord } from "./result.js";
import type { RunReporter } from "./run-reporter.js";

/** The parts of a run its calls reach. */
export interface CallTarget {
  graph: DependencyGraph;
  clock: Int32Array;
  report: RunReporter;
  approvals: ApprovalDesk;
  records: StepRecord[];
  /** Whether `attempt` is step `i`'s attempt in flight. */
  current(i: number, attempt: number): boolean;
  /** Runs a callback of the run's loop, a bug in it cancelling the run. */
  guard(fn: () => void): void;
  constants(): RunConstants;
  /** Step `i`'s record changed after it may have been saved (a warning): the state file must learn it. */
  recordChanged(i: number): void;
}

export function callListener(run: CallTarget): CallListener {
  // Logs, progress and partial outputs: reported only while the attempt they come from is current.
  const fromCurrent = (i: number, attempt: number, report: (threadId: number) => void): void => run.guard(() => {
    if (run.current(i, attempt)) report(threadOf(run.clock, i));
  });
  return {
    log: (i, attempt, level, message, meta) => fromCurrent(i, attempt, (t) => run.report.agentLog(i, attempt, t, level, message, meta)),
    progress: (i, attempt, value, message) => fromCurrent(i, attempt, (t) => run.report.progress(i, attempt, t, value, message)),
    output: (i, attempt, chunk) => fromCurrent(i, attempt, (t) => run.report.output(i, attempt, t, chunk)),
    requestApproval: async (i, attempt, request) => {
      if (!run.current(i, attempt)) throw new Error("this attempt of the step has already ended");
      const step = run.graph.steps[i]!;
      const answer = await run.approvals.ask(i, { stepId: step.stepId, agent: step.assignedAgent }, request);
      // Nobody can answer now: the step ends `paused` and its dependents wait; the rest goes on.
      if ("pause" in answer) run.report.log("warn", `step ${step.stepId} waits for approval: ${request.message}`, i);
      return answer;
    },
    stray: (i, attempt, report) => run.guard(() => {
      (run.records[i]!.warnings ??= []).push(run.report.stray(i, attempt, report));
      run.recordChanged(i);
    }),
    constants: () => run.constants(),
  };
}
