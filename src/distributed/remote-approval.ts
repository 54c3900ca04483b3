// An agent's `ctx.requestApproval` on a worker, answered by its coordinator. The request travels on
// the run's calls stream (./call-stream.ts), in order with the agent's other calls; the answer comes
// back in a list of its own (`answerKey`, one per request) that the worker blocks on. A list keeps
// an answer pushed before the worker waits, so the order of the two does not matter.
import type { Redis } from "ioredis";
import type { ApprovalDecision } from "../agent.js";
import type { PauseAnswer } from "../pool/protocol.js";
import type { ForwardedCall } from "./call-stream.js";

/** What the coordinator answers: a decision, a pause (nobody can answer now), or why it could not ask. */
export type ApprovalAnswer = ApprovalDecision | PauseAnswer | { error: { name: string; message: string } };

/** How long an answer waits for a worker that never reads it (the run deletes it when it ends). */
export const ANSWER_TTL_MS = 86_400_000;

/** The coordinator's side: the answer, pushed where the worker waits for it. */
export async function sendAnswer(client: Redis, key: string, answer: ApprovalAnswer): Promise<void> {
  await client.multi().rpush(key, JSON.stringify(answer)).pexpire(key, ANSWER_TTL_MS).exec();
}

/** The coordinator's answer to `error`, for an agent whose request could not be asked. */
export function errorAnswer(error: unknown): ApprovalAnswer {
  const e = error as { name?: unknown; message?: unknown } | null;
  return { error: { name: String(e?.name ?? "Error"), message: String(e?.message ?? error) } };
}

/**
 * The worker's side: waits (BLPOP, on `client`, a connection of its own, as the read blocks) for
 * the answer at `key` and takes it; an error answer rejects with an error of the same name.
 */
export async function awaitAnswer(client: Redis, key: string): Promise<ApprovalDecision | PauseAnswer> {
  const popped = await client.blpop(key, 0);
  if (popped === null) throw new Error(`no answer came for the approval request at ${key}`);
  const answer = JSON.parse(popped[1]) as ApprovalAnswer;
  if ("error" in answer) throw Object.assign(new Error(answer.error.message), { name: answer.error.name });
  return answer;
}

type ApprovalCall = Extract<ForwardedCall, { 0: "approval" }>;

/**
 * Approval requests of jobs a run has not started yet, kept until it starts them: a resumed run reads
 * its calls stream from the start, where an agent still waiting on a worker (its coordinator was
 * killed) asked before the run re-attached its job. A request of a job whose attempt ended is not
 * kept: it is answered with an error at once.
 */
export class EarlyRequests {
  readonly #held = new Map<string, ApprovalCall[]>();
  readonly #ended = new Set<string>();

  /** Keeps `call` if job `jobId` may still start; false if its attempt ended already. */
  hold(jobId: string, call: ApprovalCall): boolean {
    if (this.#ended.has(jobId)) return false;
    const held = this.#held.get(jobId);
    if (held === undefined) this.#held.set(jobId, [call]);
    else held.push(call);
    return true;
  }

  /** The requests kept for `jobId`, now that it starts. */
  take(jobId: string): ApprovalCall[] | undefined {
    const held = this.#held.get(jobId);
    this.#held.delete(jobId);
    return held;
  }

  ended(jobId: string): void {
    this.#ended.add(jobId);
  }

  /** Every request still kept (the run ends): its agent waits for nothing more. */
  drain(): [string, ApprovalCall][] {
    const all = [...this.#held].flatMap(([jobId, calls]) => calls.map((call) => [jobId, call] as [string, ApprovalCall]));
    this.#held.clear();
    return all;
  }
}
