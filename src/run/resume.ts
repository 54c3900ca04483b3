// Checks what a resumed run is given: the saved state belongs to this strategy and task, and every
// approval answers a step that is paused in that state.
import type { ApprovalDecision } from "../agent.js";
import { InvalidApprovalError, StateMismatchError } from "../errors.js";
import type { StrategyMap } from "../strategy/strategy-map.js";
import { assertStateMatches, readStateFile, type SavedRunState } from "./state-file.js";
import { checkState } from "./state-shape.js";

/** Loads (if given a path) and checks a state to resume from. */
export async function loadResumeState(
  from: string | SavedRunState, strategy: StrategyMap, fingerprint: string, task: string,
): Promise<SavedRunState> {
  const source = typeof from === "string" ? `state file ${from}` : "the state given as resumeFrom";
  const state: unknown = typeof from === "string" ? await readStateFile(from) : from;
  if (typeof state !== "object" || state === null || (state as { format?: unknown }).format !== "wavepool-state") {
    throw new StateMismatchError(`${source} is not a wavepool state; pass a file written with saveStateTo or the state read from one`);
  }
  // An object given as resumeFrom may have been through JSON (its Map of outputs is then `{}`).
  checkState(state, source);
  assertStateMatches(state, fingerprint, source);
  if (state.task !== task) {
    throw new StateMismatchError(
      `${source} was saved for the task ${JSON.stringify(state.task)}, not ${JSON.stringify(task)}; resume with the same task`,
    );
  }
  for (const record of state.steps) {
    // An item's record names its fan-out step: that step must be a forEach step of this strategy.
    const owner = record.parent === undefined ? strategy.getStep(record.stepId) : strategy.getStep(record.parent);
    if (owner === undefined || (record.parent !== undefined && owner.forEach === undefined)) {
      throw new StateMismatchError(`${source} has step ${record.stepId}, which this strategy does not`);
    }
  }
  return state;
}

/**
 * Checks that every approval names a step the state is paused on and is `{ approved: boolean, note? }`.
 * Returns the answers by step id in a null-prototype record, so that looking up a step named
 * `__proto__` or `toString` finds its own answer or nothing, never an `Object.prototype` member.
 */
export function checkApprovals(
  approvals: Record<string, ApprovalDecision>, state: SavedRunState | undefined,
): Record<string, ApprovalDecision> {
  if (typeof approvals !== "object" || approvals === null) {
    throw new InvalidApprovalError("approvals must be an object: { [stepId]: { approved, note? } }");
  }
  const checked: Record<string, ApprovalDecision> = Object.create(null) as Record<string, ApprovalDecision>;
  for (const [stepId, decision] of Object.entries(state?.approvals ?? {})) checked[stepId] = decision;
  const paused = new Set(state?.steps.filter((r) => r.status === "paused").map((r) => r.stepId));
  for (const [stepId, decision] of Object.entries(approvals)) {
    if (!paused.has(stepId)) {
      const waiting = [...paused];
      throw new InvalidApprovalError(
        state === undefined
          ? `approvals name step ${stepId}, but nothing is paused: pass approvals together with resumeFrom`
          : `approvals name step ${stepId}, which is not paused in the state` +
            (waiting.length ? ` (paused: ${waiting.join(", ")})` : " (no step is paused)"),
        { stepId },
      );
    }
    if (typeof decision?.approved !== "boolean" || (decision.note !== undefined && typeof decision.note !== "string")) {
      throw new InvalidApprovalError(`the approval of step ${stepId} must be { approved: boolean, note?: string }, got ${JSON.stringify(decision)}`, { stepId });
    }
    checked[stepId] = decision.note === undefined ? { approved: decision.approved } : { approved: decision.approved, note: decision.note };
  }
  return checked;
}
