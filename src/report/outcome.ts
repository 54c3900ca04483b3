// What a finished run came to, decided in one place: the exit code, the line display, the
// summary, the timeline and the tracing spans all ask `runOutcome`, so they never disagree.
import type { ParallelOrchestrationResult, StepStatus } from "../run/result.js";

/** The outcome of a finished run. */
export type RunOutcome = "succeeded" | "failed" | "paused" | "cancelled";

/**
 * `failed` whenever a step failed or timed out for good, even if the run was then cancelled
 * (fail-fast) or also waits for an approval: the run cannot succeed as it stands. Otherwise
 * `cancelled` when its signal stopped it, `paused` when it waits for approval, `succeeded` when
 * every step completed.
 * @example if (runOutcome(result) === "paused") console.log(result.pendingApprovals);
 */
export function runOutcome(result: ParallelOrchestrationResult): RunOutcome {
  if (result.success) return "succeeded";
  if (result.error !== undefined) return "failed";
  if (result.cancelled) return "cancelled";
  if (result.paused) return "paused";
  // Not every step completed, yet none failed, none waits and nothing cancelled it: a resumed
  // run whose saved state held a failure, for instance. It did not succeed.
  return "failed";
}

/** The one word (or two) for each step status, wherever a person reads it. */
export const STATUS_WORDS: Readonly<Record<StepStatus, string>> = {
  pending: "pending",
  running: "running",
  completed: "completed",
  failed: "failed",
  timed_out: "timed out",
  skipped: "skipped",
  cancelled: "cancelled",
  paused: "paused",
};

/** How many steps ended in each status, in order of first appearance: `3 completed, 1 timed out`. */
export function statusTally(result: Pick<ParallelOrchestrationResult, "steps">): string {
  const counts = new Map<StepStatus, number>();
  for (const s of result.steps) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${STATUS_WORDS[status]}`).join(", ");
}
