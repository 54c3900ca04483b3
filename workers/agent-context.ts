// The `ctx` an agent runs with: inputs, options, signal, and the calls back to the main thread.
// A class, so a step that never logs or looks at its signal allocates one object and no closures;
// calls back are tracked so the step's result is only sent once the main thread has seen them all.
// A quiet run stays cheap: log lines below the run's level never leave the thread, and a flood of
// progress calls sends only the latest value once the previous one has arrived.
import type { AgentContext, AgentLogger, ApprovalDecision, ApprovalRequest } from "../src/agent.js";
import type { CallTag, LogLevel, RunConstants, StepTask } from "../src/pool/protocol.js";
import { whenAbortRequested } from "../src/pool/step-clock.js";
import { preciseNow } from "../src/pool/precise-time.js";
import { hostApi } from "./host-link.js";
import { lazyInputs } from "./lazy-inputs.js";

/** Thrown into the agent by `requestApproval` when the run pauses; the step ends `paused` whatever the agent does. */
export class StepPausedSignal extends Error {
  override name = "StepPausedSignal";
}

/** Verbosity of each level: a line is sent when its level is at most the run's. */
const verbosity: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };
const drop = (): void => {};

/** A progress report waiting for the one in flight; the callers it replaced wait for it too. */
interface QueuedProgress {
  value: number;
  message: string | undefined;
  sent: Promise<void>;
  resolve: (sent: Promise<void>) => void;
}

export class StepContext implements AgentContext {
  readonly options: unknown;
  readonly stepId: string;
  readonly runId: string;
  readonly expectedOutput: string | undefined;
  readonly attempt: number;
  /** Set once `requestApproval` was answered with a pause. */
  paused = false;
  readonly #task: StepTask;
  readonly #run: RunConstants;
  readonly #startedAt: number;
  #pending: Set<Promise<unknown>> | undefined;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #cancel: { stop(): void } | undefined;
  #log: AgentLogger | undefined;
  /** A progress call is on its way to the main thread. */
  #progressBusy = false;
  #progressQueued: QueuedProgress | undefined;
  #inputs: Record<string, unknown> | undefined;

  constructor(task: StepTask, run: RunConstants, options: unknown, startedAt: number) {
    this.#task = task;
    this.#run = run;
    this.#startedAt = startedAt;
    this.options = options;
    this.stepId = run.stepIds[task.slot]!;
    this.runId = run.runId;
    this.expectedOutput = task.expectedOutput;
    this.attempt = task.attempt;
  }

  /** The values the template read, each decoded from the bytes it was sent as when first read. */
  get inputs(): Record<string, unknown> {
    return (this.#inputs ??= lazyInputs(this.#task.inputs));
  }

  /**
   * Aborted when the step's timeout passes or the run is cancelled (made on first use, with its
   * timer and its wait on the step clock's abort cell).
   */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = (this.#controller = new AbortController());
      const { timeoutMs, slot } = this.#task;
      const { clock } = this.#run;
      const stepId = this.stepId;
      if (timeoutMs > 0) {
        const reason = new Error(`step ${stepId} timed out after ${timeoutMs} ms`);
        this.#timer = setTimeout(() => controller.abort(reason), Math.max(0, this.#startedAt + timeoutMs - preciseNow()));
        this.#timer.unref();
      }
      const cancel = (this.#cancel = whenAbortRequested(clock, slot));
      void cancel.promise.then((requested) => {
        if (requested) controller.abort(new Error(`step ${stepId} was cancelled; its thread is terminated shortly`));
      });
    }
    return this.#controller.signal;
  }

  get log(): AgentLogger {
    const most = verbosity[this.#run.logLevel ?? "debug"];
    const send = (level: LogLevel) => verbosity[level] > most ? drop : (message: string, meta?: Record<string, unknown>) => {
      this.#track(Promise.resolve(hostApi().log(this.#from(), level, String(message), meta)));
    };
    return (this.#log ??= { error: send("error"), warn: send("warn"), info: send("info"), debug: send("debug") });
  }

  /**
   * Sends progress; while one report is in flight, a newer one replaces the one waiting instead of
   * queueing behind it. Resolves once this value, or a newer one that replaced it, has arrived.
   */
  progress(value: number, message?: string): Promise<void> {
    if (!this.#progressBusy) return this.#sendProgress(value, message);
    const queued = this.#progressQueued;
    if (queued !== undefined) {
      queued.value = value;
      queued.message = message;
      return queued.sent;
    }
    let resolve!: (sent: Promise<void>) => void;
    const sent = new Promise<void>((r) => (resolve = r));
    this.#progressQueued = { value, message, sent, resolve };
    return sent;
  }

  #sendProgress(value: number, message: string | undefined): Promise<void> {
    this.#progressBusy = true;
    let call: Promise<void>;
    try {
      call = Promise.resolve(hostApi().progress(this.#from(), value, message));
    } catch (error) {
      // A rejection, not a throw: the reports queued behind this one must still be sent.
      call = Promise.reject(error);
    }
    // Tracked until the queued report (if any) is sent too, so `settle` waits for the last value.
    const next = (): Promise<void> | undefined => {
      const queued = this.#progressQueued;
      this.#progressQueued = undefined;
      this.#progressBusy = queued !== undefined;
      if (queued === undefined) return undefined;
      const sent = this.#sendProgress(queued.value, queued.message);
      queued.resolve(sent);
      return sent.catch(drop);
    };
    this.#track(call.then(next, next));
    return call.then(() => undefined);
  }

  emit(chunk: unknown): Promise<void> {
    let call: Promise<void>;
    try {
      // One comlink port per thread: calls arrive in the order they were made.
      call = Promise.resolve(hostApi().output(this.#from(), chunk));
    } catch (error) {
      call = Promise.reject(error);
    }
    this.#track(call);
    return call;
  }

  async requestApproval(request: ApprovalRequest): Promise<ApprovalDecision> {
    if (this.#task.approval !== undefined) return this.#task.approval;
    const message = String(request?.message ?? "");
    const answer = await hostApi().requestApproval(this.#from(), { message, payload: request?.payload });
    if ("pause" in answer) {
      this.paused = true;
      throw new StepPausedSignal(`step ${this.stepId} is paused until a person answers: ${message}`);
    }
    return answer;
  }

  /** Resolves once every log/progress call made so far has reached the main thread. */
  async settle(): Promise<void> {
    while (this.#pending !== undefined && this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  get hasPendingCalls(): boolean {
    return this.#pending !== undefined && this.#pending.size > 0;
  }

  /** Clears the timeout timer and the wait for a cancel request. */
  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#cancel?.stop();
  }

  #from(): CallTag {
    return [this.#task.callId, this.#task.slot, this.#task.attempt];
  }

  #track(call: Promise<unknown>): void {
    const pending = (this.#pending ??= new Set());
    pending.add(call);
    const done = () => pending.delete(call);
    call.then(done, done);
  }
}
