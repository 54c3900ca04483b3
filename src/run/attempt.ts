// One attempt of one step: handed to the pool with a controller of its own, bounded by the
// watchdog, stoppable by its run, and ended as a value that never rejects (how it ended, typed).
import type { Piscina } from "piscina";
import { AgentLoadError, OutputNotCloneableError } from "../errors.js";
import type { StepOutcome, StepTask } from "../pool/protocol.js";
import { decodeParts } from "../pool/value-codec.js";
import { Phase, phaseOf, phaseSince, requestAbort, startedAt, threadOf } from "../pool/step-clock.js";
import { WORKER_FILENAME } from "../pool/worker-pool.js";
import { fromAbort, fromOutcome, fromRejection, type AbortCause, type Failure } from "./step-failure.js";
import { watch } from "./watchdog.js";

/** How an attempt ended. Times are epoch ms; `startedAt` is undefined if the agent never ran. */
export type AttemptEnd =
  | { kind: "completed"; output: unknown; threadId: number; startedAt: number; endedAt: number }
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
  readonly #stop = new StopSignal();
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
        this.#stop.abort();
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
    const run = context.pool.run(task, { filename: WORKER_FILENAME, signal: this.#stop }) as Promise<StepOutcome>;
    run.then(
      (outcome) => settle(() => this.#fromOutcome(outcome, where)),
      (reason: unknown) => settle(() => this.#fromRejection(reason, where)),
    );
  }

  /** Stops the attempt for its run: its `ctx.signal` aborts now, its thread is terminated after a grace. */
  cancel(reason: string): void {
    if (this.#aborted !== undefined) return;
    this.#aborted = { kind: "cancel", reason };
    // Not on a thread yet: nothing to be graceful with.
    if (phaseOf(this.#c.clock, this.task.slot) === Phase.queued) {
      this.#stop.abort();
      return;
    }
    requestAbort(this.#c.clock, this.task.slot);
    this.#grace = setTimeout(() => this.#stop.abort(), this.#c.cancelGraceMs);
  }

  #abort(cause: AbortCause): void {
    if (this.#aborted !== undefined && this.#aborted.kind !== "cancel") return;
    this.#aborted = cause;
    requestAbort(this.#c.clock, this.task.slot);
    this.#stop.abort();
  }

  #fromOutcome(outcome: StepOutcome, where: { stepId: string; agent: string }): AttemptEnd {
    const { threadId, startedAt: started, endedAt } = outcome;
    if (outcome.ok) {
      try {
        const output = outcome.stream === undefined ? outcome.output : decodeParts(outcome.stream, outcome.shared ?? []);
        return { kind: "completed", output, threadId, startedAt: started, endedAt };
      } catch (error) {
        const { stepId, agent } = where;
        const failure: Failure = {
          status: "failed", retryable: false,
          error: new OutputNotCloneableError(
            `step ${stepId} (agent ${agent}) returned a value the main thread cannot read (${(error as Error)?.message ?? String(error)}); ` +
              "its worker could serialise it but the main thread's smaller stack cannot rebuild it: return a flatter value",
            { stepId, agent, path: "$", cause: error },
          ),
        };
        return { kind: "failed", failure, threadId, startedAt: started, endedAt };
      }
    }
    if (outcome.reason === "paused") return { kind: "paused", threadId, startedAt: started, endedAt };
    // An agent that gave up because we aborted it (its ctx.signal) ends as what we aborted it for.
    const failure = this.#aborted !== undefined && outcome.reason === "agent" ? fromAbort(this.#aborted, where) : fromOutcome(outcome, where);
    return { kind: "failed", failure, threadId, startedAt: outcome.reason === "load" ? undefined : started, endedAt };
  }

  #fromRejection(reason: unknown, where: { stepId: string; agent: string }): AttemptEnd {
    const { clock, epoch } = this.#c;
    const slot = this.task.slot;
    const phase = phaseOf(clock, slot);
    if (phase === Phase.recycled && this.#aborted === undefined) return { kind: "refused" };
    // A thread that died importing the agent (process.exit or out of memory at the module's top
    // level) says nothing of the step: the module is at fault, and running it again would not help.
    const failure = phase === Phase.loading && this.#aborted === undefined
      ? loadCrash(reason, where, this.task.agent.module)
      : fromRejection(reason, this.#aborted, where);
    return { kind: "failed", failure, threadId: threadOf(clock, slot), startedAt: startedAt(clock, slot, epoch), endedAt: Date.now() };
  }
}

function loadCrash(reason: unknown, where: { stepId: string; agent: string }, module: string): Failure {
  const { stepId, agent } = where;
  const code = (reason as { code?: unknown })?.code;
  return {
    status: "failed", retryable: false,
    error: new AgentLoadError(
      `agent ${agent}: loading ${module} for step ${stepId} killed its worker thread (${(reason as Error)?.message ?? String(reason)}${typeof code === "string" ? `, ${code}` : ""}). A module must not call process.exit or exhaust memory at its top level`,
      { stepId, agent, cause: reason },
    ),
  };
}

/**
 * The signal Piscina is given for one attempt, in the EventEmitter form it accepts: one listener,
 * no EventTarget machinery (an AbortController with a listener costs ~8 µs, a tenth of a step).
 */
class StopSignal {
  aborted = false;
  #listener: (() => void) | undefined;

  once(_event: "abort", listener: () => void): void {
    this.#listener = listener;
  }

  // Piscina's types name `off`, its code calls `removeListener`.
  off(_event: "abort", _listener: () => void): void {
    this.#listener = undefined;
  }

  removeListener(_event: "abort", _listener: () => void): void {
    this.#listener = undefined;
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.();
  }
}

const noop = (): void => undefined;
