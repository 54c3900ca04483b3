// A worker process runs a job's step on its own pool, as a local run would: an `Attempt` on a
// one-slot clock of its own (timeouts terminate the step's thread, a cancel aborts `ctx.signal`
// then terminates it), with the constants a worker thread asks for answered by a lane on the pool's hub.
import type { Piscina } from "piscina";
import type { ApprovalDecision, ApprovalRequest } from "../agent.js";
import type { HostHub } from "../pool/host-channel.js";
import { preciseNow } from "../pool/precise-time.js";
import type { AgentSpec, PauseAnswer, StepTask, WireValue } from "../pool/protocol.js";
import { clockTimes, createClock, markRunEnded, Phase, phaseOf, resetSlot, threadOf } from "../pool/step-clock.js";
import { Attempt, type AttemptEnd } from "../run/attempt.js";
import { runConstants } from "../run/run-constants.js";
import type { ForwardedCall } from "./call-stream.js";
import type { StepPayload } from "./job-data.js";

export interface LocalStep {
  /** The step's end (a thread that refused it is handed it again: never `refused`). */
  ended: Promise<Exclude<AttemptEnd, { kind: "refused" }>>;
  cancel(reason: string): void;
  /**
   * Cancels the step and terminates its thread at once, without the cancel's grace for the agent to
   * stop on its own (its worker is going away now): it still ends `cancelled`.
   */
  stopNow(reason: string): void;
}

export interface StepOnPool {
  pool: Piscina;
  hub: HostHub;
  runId: string;
  stepId: string;
  attempt: number;
  spec: AgentSpec;
  payload: StepPayload;
  /** Every input, the stored ones fetched. */
  inputs: Record<string, WireValue>;
  /** Where the agent's calls go (./call-stream.ts), in the order it made them. */
  forward(call: ForwardedCall): void;
  /** Asks the coordinator to approve; resolves with its answer (./remote-approval.ts). */
  ask(attempt: number, request: ApprovalRequest): Promise<ApprovalDecision | PauseAnswer>;
}

export function runOnPool(s: StepOnPool): LocalStep {
  const clock = createClock(1);
  const epoch = preciseNow();
  const { payload } = s;
  // The agent's calls go back to the coordinator, in order, tagged with their attempt.
  const callId = s.hub.listen({
    log: (_slot, attempt, level, message, meta) => s.forward(["log", attempt, level, message, meta]),
    progress: (_slot, attempt, value, message) => s.forward(["progress", attempt, value, message]),
    output: (_slot, attempt, chunk) => s.forward(["output", attempt, chunk]),
    // Answered by the coordinator as a local run answers: its onApproval, or a pause with the request kept.
    requestApproval: (_slot, attempt, request) => s.ask(attempt, request),
    stray: (_slot, attempt, report) => s.forward(["stray", attempt, report]),
    constants: () => constants,
  });
  const constants = runConstants({ callId, runId: s.runId, clock, epoch, loadTimeoutMs: payload.loadTimeoutMs, logLevel: payload.logLevel ?? "debug" }, [s.stepId], [s.spec]);
  const task: StepTask = { callId, slot: 0, attempt: s.attempt, intent: payload.intent, inputs: s.inputs, timeoutMs: payload.timeoutMs };
  if (payload.expectedOutput !== undefined) task.expectedOutput = payload.expectedOutput;
  if (payload.approval !== undefined) task.approval = payload.approval;
  const context = { pool: s.pool, clock, times: clockTimes(clock), epoch, loadTimeoutMs: payload.loadTimeoutMs, cancelGraceMs: payload.cancelGraceMs };
  const where = { stepId: s.stepId, agent: s.spec.name, module: s.spec.module };
  let current: Attempt | undefined;
  let cancelled: string | undefined;
  const ended = new Promise<Exclude<AttemptEnd, { kind: "refused" }>>((resolve) => {
    const start = (): void => {
      resetSlot(clock, 0);
      current = new Attempt(context, task, where, (_attempt, end) => {
        if (end.kind === "refused") return start();
        s.hub.forget(callId);
        markRunEnded(clock);
        resolve(end);
      });
      if (cancelled !== undefined) current.cancel(cancelled);
    };
    start();
  });
  const cancel = (reason: string): void => {
    cancelled ??= reason;
    current?.cancel(reason);
  };
  return {
    ended,
    cancel,
    stopNow(reason) {
      cancel(reason);
      // As the attempt's own grace timer would, later: a step not on a thread yet (or done) skips itself.
      const thread = threadOf(clock, 0);
      const phase = phaseOf(clock, 0);
      if (thread < 0 || phase === Phase.queued || phase === Phase.done) return;
      for (const t of s.pool.threads) if (t.threadId === thread) void t.terminate();
    },
  };
}
