// What a run does with the calls its agents make back to the main thread (logs, progress, approval
// requests, stray errors) and with a thread's request for the run's constants: one registration per
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
}

export function callListener(run: CallTarget): CallListener {
  return {
    log: (i, attempt, level, message, meta) => run.guard(() => {
      if (run.current(i, attempt)) run.report.agentLog(i, attempt, threadOf(run.clock, i), level, message, meta);
    }),
    progress: (i, attempt, value, message) => run.guard(() => {
      if (run.current(i, attempt)) run.report.progress(i, attempt, threadOf(run.clock, i), value, message);
    }),
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
    }),
    constants: () => run.constants(),
  };
}
