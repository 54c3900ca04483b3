// One attempt of one step: handed to the pool, bounded by the watchdog, stoppable by its run (the
// abort cell, then its thread terminated), and ended as a value that never rejects (how it ended, typed).
import type { Piscina } from "piscina";
import type { StepOutcome, StepTask } from "../pool/protocol.js";
import { decodeParts, type EncodedParts } from "../pool/value-codec.js";
import { Phase, phaseOf, phaseSince, requestAbort, startedAt, threadOf } from "../pool/step-clock.js";
import { WORKER_FILENAME } from "../pool/worker-pool.js";
import { fromAbort, fromLoadCrash, fromOutcome, fromRejection, fromUnreadableOutput, type AbortCause, type Failure } from "./step-failure.js";
import { watch } from "./watchdog.js";

/** How an attempt ended. Times are epoch ms; `startedAt` is undefined if the agent never ran. */
export type AttemptEnd =
  /** `encoded`: the output as its worker serialised it (absent for a primitive), for the state file. */
  | { kind: "completed"; output: unknown; encoded: EncodedParts | undefined; threadId: number; startedAt: number; endedAt: number }
  | { kind: "paused"; threadId: number; startedAt: number; endedAt: number }
  | { kind: "failed"; failure: Failure; threadId: number; startedAt: number | undefined; endedAt: number }
  /** The thread refused the task (it is being replaced): send it again, it did not count. */
  | { kind: "refused" };

/** What every attempt of a run shares. */
export interface AttemptContext {
  pool: Piscina;
  clock: Int32Array;
  epoch: number;
  loadTimeoutMs: number;
  /** How long a cancelled agent has to stop on its own (its `ctx.signal`) before its thread is terminated. */
  cancelGraceMs: number;
}

export class Attempt {
  readonly task: StepTask;
  /** Resolves when the attempt is over; never rejects. */
  readonly ended: Promise<AttemptEnd>;
  readonly #c: AttemptContext;
  #aborted: AbortCause | undefined;
  #grace: NodeJS.Timeout | undefined;

  constructor(context: AttemptContext, task: StepTask, where: { stepId: string; agent: string }) {
    this.#c = context;
    this.task = task;
    const { clock, epoch } = context;
    const slot = task.slot;
    let finish!: (end: AttemptEnd) => void;
    this.ended = new Promise((resolve) => (finish = resolve));
    // Without a step timeout nothing needs watching from here: the worker bounds a hanging import.
    const disarm = task.timeoutMs === 0 ? noop : watch(clock, slot, epoch, { timeoutMs: task.timeoutMs, loadTimeoutMs: context.loadTimeoutMs }, (why) => {
      if (why === "timeout" && phaseOf(clock, slot) === Phase.loading) {
        // The step gave up while a fresh thread imports its agent. Terminating the thread would
        // throw the import away and the next step there would start it again (and time out again
        // under load): the thread finishes the import for later steps and skips this one; the load
        // timeout still stops an import that hangs.
        if (this.#aborted !== undefined) return;
        this.#aborted = { kind: "timeout", timeoutMs: task.timeoutMs, loading: true };
        requestAbort(clock, slot);
        const failure = fromAbort(this.#aborted, where);
        finish({ kind: "failed", failure, threadId: threadOf(clock, slot), startedAt: phaseSince(clock, slot, epoch), endedAt: Date.now() });
      } else if (why === "load-timeout" && this.#aborted?.kind === "timeout") {
        this.#terminate();
      } else {
        this.#abort(why === "timeout" ? { kind: "timeout", timeoutMs: task.timeoutMs } : { kind: "load-timeout", loadTimeoutMs: context.loadTimeoutMs });
      }
    });
    const settle = (end: () => AttemptEnd): void => {
      disarm();
      if (this.#grace !== undefined) clearTimeout(this.#grace);
      try {
        finish(end());
      } catch (bug) {
        finish(this.#fromRejection(bug, where));
      }
    };
    // No abort signal for Piscina: it keeps abortable tasks that wait for a thread in an array it
    // shifts (O(n) each, O(n²) for a large run handed over at once). A queued attempt that is
    // stopped skips itself when a thread takes it (the abort cell); a running one has its thread
    // terminated (#terminate), as Piscina's own abort would.
    const run = context.pool.run(task, { filename: WORKER_FILENAME }) as Promise<StepOutcome>;
    run.then(
      (outcome) => settle(() => this.#fromOutcome(outcome, where)),
      (reason: unknown) => settle(() => this.#fromRejection(reason, where)),
    );
  }

  /** Stops the attempt for its run: its `ctx.signal` aborts now, its thread is terminated after a grace. */
  cancel(reason: string): void {
    if (this.#aborted !== undefined) return;
    this.#aborted = { kind: "cancel", reason };
    requestAbort(this.#c.clock, this.task.slot);
    // Not on a thread yet: it skips itself when one takes it, nothing to be graceful with.
    if (phaseOf(this.#c.clock, this.task.slot) === Phase.queued) return;
    this.#grace = setTimeout(() => this.#terminate(), this.#c.cancelGraceMs);
  }

  #abort(cause: AbortCause): void {
    if (this.#aborted !== undefined && this.#aborted.kind !== "cancel") return;
    this.#aborted = cause;
    requestAbort(this.#c.clock, this.task.slot);
    this.#terminate();
  }

  /**
   * Terminates the thread the attempt runs on; the pool rejects the attempt and replaces the thread.
   * Safe against a thread that has moved on: the pool gives a thread its next task only after it has
   * processed this one's end, which also disarms every timer that calls this.
   */
  #terminate(): void {
    const id = threadOf(this.#c.clock, this.task.slot);
    if (id < 0 || phaseOf(this.#c.clock, this.task.slot) === Phase.queued) return;
    for (const thread of this.#c.pool.threads) {
      if (thread.threadId === id) void thread.terminate();
    }
  }

  #fromOutcome(outcome: StepOutcome, where: { stepId: string; agent: string }): AttemptEnd {
    const { threadId, startedAt: started, endedAt } = outcome;
    if (outcome.ok) {
      try {
        if (outcome.stream === undefined) return { kind: "completed", output: outcome.output, encoded: undefined, threadId, startedAt: started, endedAt };
        const encoded = { stream: outcome.stream, shared: outcome.shared ?? [] };
        return { kind: "completed", output: decodeParts(encoded.stream, encoded.shared), encoded, threadId, startedAt: started, endedAt };
      } catch (error) {
        return { kind: "failed", failure: fromUnreadableOutput(error, where), threadId, startedAt: started, endedAt };
      }
    }
    if (outcome.reason === "paused") return { kind: "paused", threadId, startedAt: started, endedAt };
    // An agent that gave up because we aborted it (its ctx.signal) ends as what we aborted it for.
    const stopped = this.#aborted !== undefined && (outcome.reason === "agent" || outcome.reason === "stopped");
    const failure = stopped ? fromAbort(this.#aborted!, where) : fromOutcome(outcome, where);
    const ran = outcome.reason !== "load" && outcome.reason !== "stopped";
    return { kind: "failed", failure, threadId, startedAt: ran ? started : undefined, endedAt };
  }

  #fromRejection(reason: unknown, where: { stepId: string; agent: string }): AttemptEnd {
    const { clock, epoch } = this.#c;
    const slot = this.task.slot;
    const phase = phaseOf(clock, slot);
    if (phase === Phase.recycled && this.#aborted === undefined) return { kind: "refused" };
    // A thread that died importing the agent (process.exit or out of memory at the module's top
    // level) says nothing of the step: the module is at fault, and running it again would not help.
    const failure = phase === Phase.loading && this.#aborted === undefined
      ? fromLoadCrash(reason, where, this.task.agent.module)
      : fromRejection(reason, this.#aborted, where);
    return { kind: "failed", failure, threadId: threadOf(clock, slot), startedAt: startedAt(clock, slot, epoch), endedAt: Date.now() };
  }
}

const noop = (): void => undefined;
