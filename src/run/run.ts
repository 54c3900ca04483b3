// The loop of one run: it connects the pure state (./run-state.ts), the scheduler (../schedule) and
// attempts (./attempt.ts). Steps start in one place (#dispatch) and every attempt's end is applied in
// one place (#ended); every callback into the loop goes through #guard, so a bug ends the run as
// cancelled with the bug logged, never as an unhandled rejection or a run that never resolves.
import { randomUUID } from "node:crypto";
import { ApprovalRejectedError, errorInfo, RunCancelledError, type WavepoolError } from "../errors.js";
import { bottomLevels } from "../graph/critical-path.js";
import type { LogLevel, RunConstants, StepTask } from "../pool/protocol.js";
import { preciseNow } from "../pool/precise-time.js";
import { clockTimes, createClock, markRunEnded, resetSlot } from "../pool/step-clock.js";
import { mark, STACKABLE } from "../pool/task-marks.js";
import { nextSteps } from "../schedule/next-steps.js";
import { priorityRule } from "../schedule/priority.js";
import { ReadyQueue } from "../schedule/ready-queue.js";
import { agentLogLevel } from "./agent-log-level.js";
import { ApprovalDesk, decisionFor } from "./approvals.js";
import { Attempt, type AttemptContext, type AttemptEnd, type OnAttemptEnd, type Where } from "./attempt.js";
import { backoffDelay, maxAttempts } from "./backoff.js";
import { InPool } from "./in-pool.js";
import { renderIntent, type Intent } from "./intent.js";
import type { ExecuteOptions, RunSetup } from "./run-setup.js";
import { RunState, type Stop } from "./run-state.js";
import type { AttemptRecord, ParallelOrchestrationResult } from "./result.js";
import { callListener } from "./run-calls.js";
import { runConstants } from "./run-constants.js";
import { RunJournal } from "./run-journal.js";
import { RunReporter } from "./run-reporter.js";

export type { ExecuteOptions, RunSetup } from "./run-setup.js";
export type { ApprovalRequestEvent } from "./approvals.js";

export class Run {
  readonly runId = randomUUID();
  readonly #s: RunSetup;
  readonly #o: ExecuteOptions;
  readonly #state: RunState;
  readonly #ready: ReadyQueue;
  readonly #flights = new Map<number, Attempt>();
  readonly #retries = new Map<number, NodeJS.Timeout>();
  readonly #approvals: ApprovalDesk;
  /** Whether any approval decision was given (most runs have none: no lookup per step). */
  readonly #anyApprovals: boolean;
  readonly #clock: Int32Array;
  readonly #inPool: InPool;
  /** How long each step that completed took (ms), NaN for the others: learned when the run ends. */
  readonly #measured: Float64Array;
  /** Each step as its failures name it, made on its first dispatch. */
  readonly #where: Where[] = [];
  readonly #logLevel: LogLevel;
  readonly #report: RunReporter;
  /** The state file, when the run saves one. */
  readonly #journal: RunJournal | undefined;
  readonly #result: Promise<ParallelOrchestrationResult>;
  #resolve!: (result: ParallelOrchestrationResult) => void;
  #epoch = 0;
  /** What every attempt of this run shares, made once when the run starts. */
  #attempts!: AttemptContext;
  /** What every step of this run shares on a worker thread, made when the first thread asks. */
  #constants: RunConstants | undefined;
  #callId = 0;
  #stop: Stop;
  #finished = false;

  constructor(setup: RunSetup, options: ExecuteOptions) {
    this.#s = setup;
    this.#o = options;
    const { graph, config } = setup;
    this.#state = new RunState(graph, setup.task, setup.inputs);
    const bl = bottomLevels(graph, (i) => setup.cost(graph.steps[i]!.stepId) ?? 1);
    const before = priorityRule(config.scheduling, { bottomLevel: bl, level: graph.level });
    this.#ready = new ReadyQueue(before);
    this.#clock = createClock(graph.steps.length);
    this.#inPool = InPool.of(setup, before);
    this.#measured = new Float64Array(graph.steps.length).fill(NaN);
    this.#logLevel = agentLogLevel(setup.logger);
    const listeners = [...(setup.listeners ?? []), ...(options.onEvent ? [options.onEvent] : [])];
    const { task, inputs, fingerprint, approvals } = setup;
    const journal = setup.journal && new RunJournal(setup.journal, this.#state, { runId: this.runId, fingerprint, task, inputs, approvals });
    this.#journal = journal;
    this.#report = new RunReporter(this.runId, setup.logger, graph, listeners, journal && ((deliver) => journal.whenWritten(deliver)));
    this.#result = new Promise((resolve) => (this.#resolve = resolve));
    this.#approvals = new ApprovalDesk(this.runId, options.onApproval);
    this.#anyApprovals = Object.keys(setup.approvals).length > 0;
    if (setup.restored) this.#state.restore(setup.restored);
  }

  /** Runs to the end; resolves with the result (never rejects). */
  start(): Promise<ParallelOrchestrationResult> {
    this.#epoch = preciseNow();
    const { pool, config } = this.#s;
    this.#attempts = { pool, clock: this.#clock, times: clockTimes(this.#clock), epoch: this.#epoch, loadTimeoutMs: config.agentLoadTimeoutMs, cancelGraceMs: config.cancelGraceMs };
    this.#guard(() => {
      this.#callId = this.#s.hub.listen(callListener({
        graph: this.#s.graph, clock: this.#clock, report: this.#report, approvals: this.#approvals, records: this.#state.records,
        current: (i, attempt) => this.#current(i, attempt),
        guard: (fn) => this.#guard(fn),
        recordChanged: (i) => this.#journal?.touched(i),
        constants: () => (this.#constants ??= runConstants({
          callId: this.#callId, runId: this.runId, clock: this.#clock, epoch: this.#epoch,
          loadTimeoutMs: this.#s.config.agentLoadTimeoutMs, logLevel: this.#logLevel,
        }, this.#s.graph, this.#s.agents)),
      }));
      this.#report.emit({ type: "run:start", runId: this.runId, time: this.#epoch, steps: this.#state.size, waves: this.#s.graph.waves });
      const signal = this.#o.signal;
      if (signal?.aborted) return this.cancel("the run's signal was aborted before it started", "info");
      signal?.addEventListener("abort", this.#onAbort, { once: true });
      for (const i of this.#state.initiallyReady()) this.#ready.push(i);
      this.#pump();
    });
    return this.#result;
  }

  /** Cancels the run: nothing new starts, running steps stop, what finished is kept. A cancel the caller asked for is news to nobody: `info`. */
  cancel(reason: string, level: "warn" | "info" = "warn"): void {
    if (this.#stop !== undefined || this.#finished) return;
    this.#stop = "cancelled";
    this.#report.log(level, `run cancelled: ${reason}`);
    for (const timer of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
    this.#ready.drain();
    const cancelled = this.#state.cancelPending(new RunCancelledError(`the run was cancelled before this step started (${reason})`));
    this.#journal?.settled(cancelled);
    for (const attempt of this.#flights.values()) attempt.cancel(reason);
    this.#pump();
  }

  /** More threads may take steps now (the pool grew): hand them what is ready. */
  poke(): void {
    if (this.#stop === undefined && !this.#finished && this.#epoch !== 0) this.#guard(() => this.#pump());
  }

  /** Resolves with the result once the run has ended (whoever started it). */
  get ended(): Promise<ParallelOrchestrationResult> {
    return this.#result;
  }

  // Removed when the run ends: one signal may serve many runs, and a finished run must not change.
  readonly #onAbort = (): void => this.#guard(() => this.cancel("the run's signal was aborted", "info"));

  #pump(): void {
    const { config, graph } = this.#s;
    const state = { mode: config.scheduling, ready: this.#ready, running: 0, limit: 0, level: graph.level, openLevel: 0 };
    for (;;) {
      if (this.#stop !== undefined || this.#ready.size === 0) break;
      state.running = this.#flights.size;
      state.limit = this.#inPool.limit;
      state.openLevel = this.#state.openLevel;
      if (state.running < state.limit) {
        const picked = nextSteps(state);
        if (picked.length > 0) {
          // A dispatch may stop the run (a failure under fail-fast): the rest of the pick was cancelled.
          for (const i of picked) if (this.#stop === undefined) this.#dispatch(i, false);
          continue;
        }
      }
      // Every thread has a step: one more per thread may wait in the pool, if that keeps the order.
      const next = this.#inPool.ahead(state);
      if (next === undefined) break;
      this.#dispatch(next, true);
    }
    // Nothing runs, nothing waits for a retry, nothing more can start: the run is over (paused steps
    // keep their dependents pending, so a run may end here with pending steps).
    if (this.#flights.size === 0 && this.#retries.size === 0 && !this.#finished) this.#end();
  }

  /**
   * The one place a step attempt is handed to the pool; `queued`: it waits in the pool's queue until
   * a step of this run ends, and starts (its `step:start`) then.
   */
  #dispatch(i: number, queued: boolean): void {
    const { graph, config } = this.#s;
    const step = graph.steps[i]!;
    const attempt = this.#state.begin(i);
    let rendered: Intent;
    try {
      rendered = renderIntent(graph, i, this.#state);
    } catch (error) {
      return this.#failNow(i, attempt, error as WavepoolError);
    }
    const { intent, inputs } = rendered;
    const approval = this.#anyApprovals ? decisionFor(this.#s.approvals, step.stepId) : undefined;
    if (approval?.approved === false) {
      return this.#failNow(i, attempt, new ApprovalRejectedError(
        `step ${step.stepId} (agent ${step.assignedAgent}) was rejected by its approver${approval.note ? `: ${approval.note}` : ""}; its dependents are skipped`,
        { stepId: step.stepId, agent: step.assignedAgent },
      ));
    }
    resetSlot(this.#clock, i);
    const task: StepTask = { callId: this.#callId, slot: i, attempt, intent, inputs, timeoutMs: step.timeoutMs ?? config.stepTimeoutMs ?? 0 };
    if (approval !== undefined) task.approval = approval;
    if (step.expectedOutput !== undefined) task.expectedOutput = step.expectedOutput;
    if (this.#inPool.tiny(i)) mark(task, STACKABLE);
    const where = (this.#where[i] ??= { stepId: step.stepId, agent: step.assignedAgent, module: this.#s.agents[i]!.module });
    const flight = new Attempt(this.#attempts, task, where, this.#onAttemptEnd);
    this.#flights.set(i, flight);
    this.#inPool.handed(i, queued);
    if (!queued) this.#started(i, attempt);
  }

  // #guard, without a closure per step.
  readonly #onAttemptEnd: OnAttemptEnd = (flight, end) => {
    try {
      this.#ended(flight.task.slot, flight, end);
    } catch (bug) {
      this.#bug(bug);
    }
  };

  /** Step `i`'s attempt reached a thread. */
  #started(i: number, attempt: number): void {
    this.#report.waveStart(this.#s.graph.level[i]!);
    this.#report.stepStart(i, attempt);
  }

  /** A step that fails before it reaches a thread (its template, a rejected approval). */
  #failNow(i: number, attempt: number, error: WavepoolError): void {
    this.#report.waveStart(this.#s.graph.level[i]!);
    this.#fail(i, "failed", error, () => this.#report.stepEnd(i, attempt, "failed", -1, 0, errorInfo(error)));
  }

  /**
   * The one place an attempt's end is applied: success, retry, pause, or final failure. A step that
   * settles is recorded in the state journal before its end is reported (`report`).
   */
  #ended(i: number, flight: Attempt, end: AttemptEnd): void {
    if (this.#flights.get(i) !== flight) return;
    this.#flights.delete(i);
    const asked = this.#approvals.take(i);
    const state = this.#state;
    const attempt = flight.task.attempt;
    // A step that waited in the pool until now starts and ends at once (unless refused, which never
    // started); else the one that waited longest took its thread, and starts once this one ended.
    const next = this.#inPool.left(i);
    if (next === -1 && end.kind !== "refused") this.#started(i, attempt);
    if (end.kind === "refused") {
      state.unbegin(i);
      if (this.#stop === undefined) this.#ready.push(i);
      else {
        const cancelled = state.cancelPending(new RunCancelledError("the run was cancelled before this step started"));
        this.#journal?.settled(cancelled);
      }
      if (next >= 0) this.#started(next, this.#flights.get(next)!.task.attempt);
      return this.#pump();
    }
    const status = end.kind === "failed" ? end.failure.status : end.kind;
    const error = end.kind === "failed" ? errorInfo(end.failure.error) : undefined;
    if (end.startedAt !== undefined) {
      const record: AttemptRecord = { attempt, status, threadId: end.threadId, startedAt: end.startedAt, endedAt: end.endedAt };
      if (error !== undefined) record.error = error;
      state.recordAttempt(i, record);
    }
    const report = (): void => this.#report.stepEnd(i, attempt, status, end.threadId, state.records[i]!.durationMs, error);
    if (end.kind === "completed") {
      this.#measured[i] = end.endedAt - end.startedAt;
      const ready = state.complete(i, end.output, end.wire);
      this.#journal?.settled([i], end);
      report();
      // A listener may have cancelled the run: its pending steps are cancelled, not ready.
      for (const d of ready) if (state.status[d] === "pending") this.#ready.push(d);
    } else if (end.kind === "paused") {
      const request = asked ?? { stepId: this.#s.graph.steps[i]!.stepId, agent: this.#s.graph.steps[i]!.assignedAgent, message: "" };
      state.pause(i, request);
      this.#journal?.settled([i], undefined, request);
      report();
    } else if (end.failure.status === "cancelled") {
      state.cancelRunning(i, end.failure.error);
      this.#journal?.settled([i]);
      report();
    } else if (end.failure.retryable && attempt < maxAttempts(this.#s.graph.steps[i]!, this.#s.config.retries) && this.#stop === undefined) {
      report();
      state.retry(i);
      this.#retries.set(i, setTimeout(() => this.#guard(() => {
        this.#retries.delete(i);
        if (this.#stop !== undefined) return;
        this.#ready.push(i);
        this.#pump();
      }), backoffDelay(this.#s.config.retries, attempt + 1)));
    } else {
      this.#fail(i, end.failure.status, end.failure.error, report);
    }
    if (next >= 0) this.#started(next, this.#flights.get(next)!.task.attempt);
    this.#pump();
  }

  /** Step `i` failed for good: it and the dependents it skips are recorded, then `report` reports its end. */
  #fail(i: number, status: "failed" | "timed_out", error: WavepoolError, report: () => void): void {
    const { steps } = this.#s.graph;
    const skipped = this.#state.fail(i, status, error);
    this.#journal?.settled([i, ...skipped]);
    report();
    for (const d of skipped) {
      this.#report.log("info", `step ${steps[d]!.stepId} skipped: it depends on ${steps[i]!.stepId}, which ${status === "failed" ? "failed" : "timed out"}`, d);
    }
    if (this.#s.config.failFast) this.cancel(`step ${steps[i]!.stepId} failed and fail-fast is set`);
  }

  /** Starts the state file with the state as it is now, before any step runs (rejects if it cannot be written). */
  persist(): Promise<void> {
    return this.#journal?.open() ?? Promise.resolve();
  }

  /** The run will not start after all: its state file is closed as it is (the state it would start from). */
  async abandon(): Promise<void> {
    await this.#journal?.close();
  }

  #current(i: number, attempt: number): boolean {
    return this.#flights.get(i)?.task.attempt === attempt;
  }

  /** Finishes the run; a bug on the way still resolves `execute`, with what the state holds. */
  #end(): void {
    this.#finish().catch((bug: unknown) => {
      this.#report.log("error", `wavepool bug while finishing the run: ${(bug as Error)?.stack ?? String(bug)}`);
      const endedAt = preciseNow();
      this.#resolve(this.#state.result({ runId: this.runId, stop: this.#stop, startedAt: this.#epoch, endedAt, stateError: undefined }));
    });
  }

  async #finish(): Promise<void> {
    this.#finished = true;
    // Learned once, at the end: a call per step would cost the loop as much as a no-op step's bookkeeping.
    const { graph, learn } = this.#s;
    this.#measured.forEach((ms, i) => Number.isNaN(ms) || learn(graph.steps[i]!.stepId, ms));
    this.#s.hub.forget(this.#callId);
    markRunEnded(this.#clock);
    this.#o.signal?.removeEventListener("abort", this.#onAbort);
    const stateError = await this.#journal?.close();
    if (stateError !== undefined) this.#report.log("error", `could not save the state to ${stateError.path}: ${stateError.message}; the file is stale`);
    const endedAt = preciseNow();
    const result = this.#state.result({ runId: this.runId, stop: this.#stop, startedAt: this.#epoch, endedAt, stateError });
    this.#report.emit({ type: "run:end", runId: this.runId, time: endedAt, result });
    this.#resolve(result);
  }

  /** Runs a callback of the loop; a bug in it is logged and cancels the run instead of escaping. */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (bug) {
      this.#bug(bug);
    }
  }

  #bug(bug: unknown): void {
    this.#report.log("error", `wavepool bug, the run is cancelled: ${(bug as Error)?.stack ?? String(bug)}`);
    try {
      this.cancel("an internal error");
    } catch {
      if (!this.#finished) this.#end();
    }
  }
}
