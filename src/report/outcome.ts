// What a finished run came to, decided in one place: the exit code, the line display, the
// summary, the timeline and the tracing spans all ask `runOutcome`, so they never disagree.
import type { ParallelOrchestrationResult, SkipReason, StepRecord, StepStatus } from "../run/result.js";

/** The outcome of a finished run. */
export type RunOutcome = "succeeded" | "terminated" | "failed" | "paused" | "cancelled";

/**
 * `failed` whenever a step failed or timed out for good, even if the run was then cancelled
 * (fail-fast) or also waits for an approval: the run cannot succeed as it stands. Otherwise
 * `cancelled` when its signal stopped it, `paused` when it waits for approval, `terminated` when a
 * termination (`addTerminate`) ended it, `succeeded` when every step completed or was skipped by
 * its `when`. A terminated run is a success (`result.success`, exit code 0): it stopped because the
 * strategy said so, and `terminationReason` says why.
 * @example if (runOutcome(result) === "paused") console.log(result.pendingApprovals);
 */
export function runOutcome(result: ParallelOrchestrationResult): RunOutcome {
  if (result.success) return result.terminated ? "terminated" : "succeeded";
  if (result.error !== undefined) return "failed";
  if (result.cancelled) return "cancelled";
  if (result.paused) return "paused";
  // A termination stopped steps that were running: they did not complete, but nothing went wrong.
  if (result.terminated) return "terminated";
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

/**
 * Skip reasons that are said beside `skipped`: a condition or a termination is news to a reader, a
 * skip because a step upstream failed is what `skipped` has always meant (the failure shows above).
 */
const TOLD_REASONS: ReadonlySet<SkipReason> = new Set(["condition", "terminated"]);

/** A step's status as a person reads it: `completed`, `timed out`, `skipped (condition)`. */
export function statusText(record: Pick<StepRecord, "status" | "skipReason">): string {
  const word = STATUS_WORDS[record.status];
  return record.status === "skipped" && record.skipReason !== undefined && TOLD_REASONS.has(record.skipReason) ? `${word} (${record.skipReason})` : word;
}

/** An item of a `forEach` step (`research[3]`), as opposed to a step of the strategy. */
export function isItem(record: Pick<StepRecord, "parent">): boolean {
  return record.parent !== undefined;
}

/**
 * How many steps ended in each status, in order of first appearance: `3 completed, 1 timed out`;
 * skips told by reason (`1 skipped (condition)`). Items of a fan-out are not steps: they follow,
 * counted apart (`; 40 items: 39 completed, 1 failed`), so that a 10,000-item fan-out is one step.
 */
export function statusTally(result: Pick<ParallelOrchestrationResult, "steps">): string {
  const steps = new Map<string, number>();
  const items = new Map<string, number>();
  let itemCount = 0;
  for (const s of result.steps) {
    const counts = isItem(s) ? items : steps;
    if (isItem(s)) itemCount++;
    const text = statusText(s);
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  const list = (counts: Map<string, number>): string => [...counts].map(([text, n]) => `${n} ${text}`).join(", ");
  return itemCount === 0 ? list(steps) : `${list(steps)}; ${itemCount} item${itemCount === 1 ? "" : "s"}: ${list(items)}`;
}
