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

/** The parts of a run its calls reach, through one of its clocks (the run's steps, or one fan-out's items). */
export interface CallTarget {
  graph: DependencyGraph;
  /** The clock the calling attempts run on: a slot's thread is read there. */
  clock: Int32Array;
  /** The unit of a slot of that clock (../run/units.ts): a step's index, or an item's unit. */
  unitOf(slot: number): number;
  /** The id and agent of unit `u`, as approval requests name it. */
  named(u: number): { stepId: string; agent: string };
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
  const fromCurrent = (slot: number, attempt: number, report: (u: number, threadId: number) => void): void => run.guard(() => {
    const u = run.unitOf(slot);
    if (run.current(u, attempt)) report(u, threadOf(run.clock, slot));
  });
  return {
    log: (slot, attempt, level, message, meta) => fromCurrent(slot, attempt, (u, t) => run.report.agentLog(u, attempt, t, level, message, meta)),
    progress: (slot, attempt, value, message) => fromCurrent(slot, attempt, (u, t) => run.report.progress(u, attempt, t, value, message)),
    output: (slot, attempt, chunk) => fromCurrent(slot, attempt, (u, t) => run.report.output(u, attempt, t, chunk)),
    requestApproval: async (slot, attempt, request) => {
      const u = run.unitOf(slot);
      if (!run.current(u, attempt)) throw new Error("this attempt of the step has already ended");
      const named = run.named(u);
      const answer = await run.approvals.ask(u, named, request);
      // Nobody can answer now: the step ends `paused` and its dependents wait; the rest goes on.
      if ("pause" in answer) run.report.log("warn", `step ${named.stepId} waits for approval: ${request.message}`, u);
      return answer;
    },
    stray: (slot, attempt, report) => run.guard(() => {
      const u = run.unitOf(slot);
      (run.records[u]!.warnings ??= []).push(run.report.stray(u, attempt, report));
      run.recordChanged(u);
    }),
    constants: () => run.constants(),
  };
}
