// Approval answers for a run: decisions given on resume (looked up as own properties only, so a step
// named `__proto__` or `toString` is asked like any other) and the `onApproval` handler's answers.
import type { ApprovalDecision, ApprovalRequest } from "../agent.js";
import type { PauseAnswer } from "../pool/protocol.js";
import type { PendingApproval } from "./result.js";

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

/**
 * The approval requests of one run's steps: answered by the run's `onApproval` handler, or, without
 * one, kept as pending until the step's attempt ends (then the step is paused with its request).
 */
export class ApprovalDesk {
  readonly #runId: string;
  readonly #handler: ApprovalHandler | undefined;
  readonly #waiting = new Map<number, PendingApproval>();

  constructor(runId: string, handler: ApprovalHandler | undefined) {
    this.#runId = runId;
    this.#handler = handler;
  }

  /** Answers step `slot`'s request, or tells its agent to pause when nobody can answer now. */
  ask(slot: number, step: { stepId: string; agent: string }, request: ApprovalRequest): Promise<ApprovalDecision | PauseAnswer> | PauseAnswer {
    if (this.#handler !== undefined) return askHandler(this.#handler, { runId: this.#runId, ...step, ...request });
    this.#waiting.set(slot, { ...step, message: request.message, payload: request.payload });
    return { pause: true };
  }

  /** The unanswered request of step `slot`'s attempt that just ended, if it made one; forgets it. */
  take(slot: number): PendingApproval | undefined {
    const request = this.#waiting.get(slot);
    this.#waiting.delete(slot);
    return request;
  }
}
