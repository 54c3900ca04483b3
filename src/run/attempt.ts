// One attempt of one step: handed to the pool, bounded by the watchdog, stoppable by its run (the
// abort cell, then its thread terminated), and ended as a value that never rejects (how it ended, typed).
import type { Piscina } from "piscina";
import type { Primitive, StepOutcome, StepResult, StepTask, WireValue } from "../pool/protocol.js";
import { fromWire } from "../pool/wire-value.js";
import { Phase, phaseOf, phaseSince, requestAbort, startedAt, threadOf } from "../pool/step-clock.js";
import { preciseNow } from "../pool/precise-time.js";
import { markOf } from "../pool/task-marks.js";
import { WORKER_FILENAME } from "../pool/worker-pool.js";
import { fromAbort, fromLoadCrash, fromOutcome, fromRejection, fromUnreadableOutput, type AbortCause, type Failure } from "./step-failure.js";
import type { Flight } from "./attempt-runner.js";
import { watch } from "./watchdog.js";

/** How an attempt ended. Times are epoch ms; `startedAt` is undefined if the agent never ran. */
export type AttemptEnd =
  /**
   * `wire`: the output as it crossed (its bytes, for the steps that read it); `output`: decoded from
   * it, or absent until the end is applied (`withOutput`): a burst of ends arrives in one go, and
   * the run decodes each in its turn, in bounded slices (./end-queue.ts), not all at once on arrival.
   */
  | { kind: "completed"; output?: unknown; wire: WireValue; threadId: number; startedAt: number; endedAt: number; worker?: string }
  | { kind: "paused"; threadId: number; startedAt: number; endedAt: number; worker?: string }
  /**
   * `lost`: a backend lost the attempt with its worker process (`kill -9`, a lost machine) and runs
   * it again at once, whatever the retry policy (the backend bounds how often).
   */
  | { kind: "failed"; failure: Failure; threadId: number; startedAt: number | undefined; endedAt: number; worker?: string; lost?: true }
  /** The thread refused the task (it is being replaced): send it again, it did not count. */
  | { kind: "refused" };

/** What every attempt of a run shares. */
export interface AttemptContext {
  /** Undefined for a run whose attempts a backend executes (./attempt-runner.ts): it makes no `Attempt`. */
  pool: Piscina | undefined;
  clock: Int32Array;
  /** The clock's exact times (`clockTimes`), where a step that returned a primitive output has them. */
  times: Float64Array;
  epoch: number;
  loadTimeoutMs: number;
  /** How long a cancelled agent has to stop on its own (its `ctx.signal`) before its thread is terminated. */
  cancelGraceMs: number;
}

/** The step an attempt is of: named in its failures. */
export interface Where {
  stepId: string;
  agent: string;
  /** The agent's module URL. */
  module: string;
}

/** Told once how an attempt ended; never throws (a run's loop guards itself). */
export type OnAttemptEnd = (attempt: Attempt, end: AttemptEnd) => void;

/** Piscina's run options, the same for every step: one object, not one per step. */
const RUN_OPTIONS = { filename: WORKER_FILENAME };

export class Attempt implements Flight {
  readonly task: StepTask;
  /** The unit the attempt is of (../run/units.ts): its step's index, or an item's unit. */
  readonly unit: number;
  readonly #c: AttemptContext;
  readonly #where: Where;
  readonly #onEnd: OnAttemptEnd;
  #over = false;
  #disarm: () => void = noop;
  #aborted: AbortCause | undefined;
  #grace: NodeJS.Timeout | undefined;

  /** Hands `task` to the pool; `onEnd` is called once, asynchronously, when the attempt is over. */
  constructor(context: AttemptContext, task: StepTask, where: Where, onEnd: OnAttemptEnd, unit: number = task.slot) {
    this.#c = context;
    this.task = task;
    this.unit = unit;
    this.#where = where;
    this.#onEnd = onEnd;
    const { clock, epoch } = context;
    const slot = task.slot;
    // Without a step timeout nothing needs watching from here: the worker bounds a hanging import.
    if (task.timeoutMs > 0) this.#disarm = watch(clock, slot, epoch, { timeoutMs: task.timeoutMs, loadTimeoutMs: context.loadTimeoutMs }, (why) => {
      if (why === "timeout" && phaseOf(clock, slot) === Phase.loading) {
        // The step gave up while a fresh thread imports its agent. Terminating the thread would
        // throw the import away and the next step there would start it again (and time out again
        // under load): the thread finishes the import for later steps and skips this one; the load
        // timeout still stops an import that hangs.
        if (this.#aborted !== undefined) return;
        this.#aborted = { kind: "timeout", timeoutMs: task.timeoutMs, loading: true };
        requestAbort(clock, slot);
        const failure = fromAbort(this.#aborted, where);
        this.#finish({ kind: "failed", failure, threadId: threadOf(clock, slot), startedAt: phaseSince(clock, slot, epoch), endedAt: preciseNow() });
      } else if (why === "load-timeout" && this.#aborted?.kind === "timeout") {
        this.#terminate();
      } else {
        this.#abort(why === "timeout" ? { kind: "timeout", timeoutMs: task.timeoutMs } : { kind: "load-timeout", loadTimeoutMs: context.loadTimeoutMs });
      }
    });
    // No abort signal for Piscina: it keeps abortable tasks that wait for a thread in an array it
    // shifts (O(n) each, O(n²) for a large run handed over at once). A queued attempt that is
    // stopped skips itself when a thread takes it (the abort cell); a running one has its thread
    // terminated (#terminate), as Piscina's own abort would.
    (context.pool!.run(task, RUN_OPTIONS) as Promise<StepResult>).then(this.#onOutcome, this.#onRejection);
  }

  readonly #onOutcome = (outcome: StepResult): void => this.#settle(outcome, true);
  readonly #onRejection = (reason: unknown): void => this.#settle(reason, false);

  #settle(value: unknown, fulfilled: boolean): void {
    this.#disarm();
    if (this.#grace !== undefined) clearTimeout(this.#grace);
    let end: AttemptEnd;
    try {
      const { clock, times } = this.#c;
      const slot = this.task.slot;
      if (!fulfilled) end = this.#fromRejection(value, this.#where);
      // The agent returned a primitive output: the result is the output, the times are in the clock.
      else if (typeof value !== "object" || value === null) {
        end = { kind: "completed", output: value, wire: value as Primitive, threadId: threadOf(clock, slot), startedAt: times[2 * slot]!, endedAt: times[2 * slot + 1]! };
      } else end = this.#fromOutcome(value as StepOutcome, this.#where);
    } catch (bug) {
      end = this.#fromRejection(bug, this.#where);
    }
    this.#finish(end);
  }

  #finish(end: AttemptEnd): void {
    if (this.#over) return;
    this.#over = true;
    this.#onEnd(this, end);
  }

  /** Stops the attempt for its run: its `ctx.signal` aborts now, its thread is terminated after a grace. */
  cancel(reason: string): void {
    // Over already (its end waits to be applied): nothing runs, and its slot may be another attempt's soon.
    if (this.#aborted !== undefined || this.#over) return;
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
   * Safe against a thread that has moved on: a thread marks a step DONE before it takes another
   * (one stacked behind it), and the pool gives it a task of its queue only after it has processed
   * this one's end, which also disarms every timer that calls this.
   */
  #terminate(): void {
    const id = threadOf(this.#c.clock, this.task.slot);
    const phase = phaseOf(this.#c.clock, this.task.slot);
    if (id < 0 || phase === Phase.queued || phase === Phase.done) return;
    for (const thread of this.#c.pool?.threads ?? []) {
      if (thread.threadId === id) void thread.terminate();
    }
  }

  #fromOutcome(outcome: StepOutcome, where: Where): AttemptEnd {
    const { threadId, startedAt: started, endedAt } = outcome;
    // Decoded when the run applies the end (`withOutput`), not on arrival.
    if (outcome.ok) return { kind: "completed", wire: outcome.output, threadId, startedAt: started, endedAt };
    if (outcome.reason === "paused") return { kind: "paused", threadId, startedAt: started, endedAt };
    // An agent that gave up because we aborted it (its ctx.signal) ends as what we aborted it for.
    const stopped = this.#aborted !== undefined && (outcome.reason === "agent" || outcome.reason === "stopped");
    const failure = stopped ? fromAbort(this.#aborted!, where) : fromOutcome(outcome, where);
    const ran = outcome.reason !== "load" && outcome.reason !== "stopped";
    return { kind: "failed", failure, threadId, startedAt: ran ? started : undefined, endedAt };
  }

  #fromRejection(reason: unknown, where: Where): AttemptEnd {
    const { clock, epoch } = this.#c;
    const slot = this.task.slot;
    const phase = phaseOf(clock, slot);
    // A stacked step (../pool/pool-balancer.ts) whose thread died while it waited there never
    // started; one that had ended lost its answer with the thread (a step stacked behind it killed
    // it). Either is sent again, not counted: a step that takes next to nothing may so run twice.
    const stacked = markOf(this.task)?.stackable === true && (phase === Phase.queued || phase === Phase.done);
    if (this.#aborted === undefined && (phase === Phase.recycled || stacked)) return { kind: "refused" };
    // A thread that died importing the agent (process.exit or out of memory at the module's top
    // level) says nothing of the step: the module is at fault, and running it again would not help.
    const failure = phase === Phase.loading && this.#aborted === undefined
      ? fromLoadCrash(reason, where, where.module)
      : fromRejection(reason, this.#aborted, where);
    return { kind: "failed", failure, threadId: threadOf(clock, slot), startedAt: startedAt(clock, slot, epoch), endedAt: preciseNow() };
  }
}

/**
 * `end` with its output decoded, once, whoever reads it: a value the main thread cannot read fails
 * its own step. Ends of other kinds, and outputs decoded already, are returned as they are.
 */
export function withOutput(end: AttemptEnd, where: Where): AttemptEnd {
  if (end.kind !== "completed" || "output" in end) return end;
  try {
    return { ...end, output: fromWire(end.wire) };
  } catch (error) {
    const { wire: _wire, ...rest } = end;
    return { ...rest, kind: "failed", failure: fromUnreadableOutput(error, where) };
  }
}

const noop = (): void => undefined;
