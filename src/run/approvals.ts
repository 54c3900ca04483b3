// Approval answers for a run: decisions given on resume (looked up as own properties only, so a step
// named `__proto__` or `toString` is asked like any other) and the `onApproval` handler's answers.
import type { ApprovalDecision, ApprovalRequest } from "../agent.js";

/** What an `onApproval` handler receives. */
export interface ApprovalRequestEvent extends ApprovalRequest {
  runId: string;
  stepId: string;
  agent: string;
}

export type ApprovalHandler = (request: ApprovalRequestEvent) => ApprovalDecision | Promise<ApprovalDecision>;

/** The decision recorded for `stepId`, if any: never one inherited from `Object.prototype`. */
export function decisionFor(decisions: Readonly<Record<string, ApprovalDecision>>, stepId: string): ApprovalDecision | undefined {
  return Object.hasOwn(decisions, stepId) ? decisions[stepId] : undefined;
}

/** Asks the handler and checks its answer; a malformed answer rejects with a TypeError saying what to return. */
export async function askHandler(handler: ApprovalHandler, request: ApprovalRequestEvent): Promise<ApprovalDecision> {
  const decision = await handler(request);
  if (typeof decision?.approved !== "boolean") {
    throw new TypeError(`onApproval must return { approved: boolean, note?: string }, got ${JSON.stringify(decision)}`);
  }
  return decision.note === undefined ? { approved: decision.approved } : { approved: decision.approved, note: String(decision.note) };
}
