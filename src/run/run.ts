// The loop of one run: it connects the pure state (./run-state.ts), the scheduler (../schedule) and
// attempts (./attempt.ts). Steps start in one place (#dispatch), built by ./step-task.ts, and every
// attempt's end is applied in one place (#ended), by ./settlement.ts; every callback into the loop
// goes through #guard, so a bug ends the run as cancelled with the bug logged, never as an unhandled
// rejection or a run that never resolves.
import { randomUUID } from "node:crypto";
import { RunCancelledError, type WavepoolError } from "../errors.js";
import { bottomLevels } from "../graph/critical-path.js";
import type { LogLevel, RunConstants } from "../pool/protocol.js";
import { preciseNow } from "../pool/precise-time.js";
import { clockTimes, createClock, markRunEnded, resetSlot } from "../pool/step-clock.js";
import { nextSteps } from "../schedule/next-steps.js";
import { priorityRule } from "../schedule/priority.js";
import { ReadyQueue } from "../schedule/ready-queue.js";
import { agentLogLevel } from "./agent-log-level.js";
import { ApprovalDesk, decisionFor } from "./approvals.js";
import { Attempt, type AttemptContext, type AttemptEnd, type OnAttemptEnd, type Where } from "./attempt.js";
import { InPool } from "./in-pool.js";
import type { ExecuteOptions, RunSetup } from "./run-setup.js";
import { RunState, type Stop } from "./run-state.js";
import type { ParallelOrchestrationResult } from "./result.js";
import { Conditions, type Fired } from "./conditions.js";
import { callListener } from "./run-calls.js";
import { runConstants } from "./run-constants.js";
import { RunJournal } from "./run-journal.js";
import { Repeats } from "./repeats.js";
import { RunReporter } from "./run-reporter.js";
import { Settlement, type Settled } from "./settlement.js";
import { stepTask, type TaskSource } from "./step-task.js";

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
  readonly #clock: Int32Array;
  readonly #inPool: InPool;
  readonly #settle: Settlement;
  readonly #conditions: Conditions;
  readonly #repeats: Repeats;
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
  /** What step tasks are made from, once the run has its call id. */
  #tasks!: TaskSource;
  /** What every step of this run shares on a worker thread, made when the first thread asks. */
  #constants: RunConstants | undefined;
  #callId = 0;
  #stop: Stop;
  #terminationReason: string | undefined;
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
    this.#logLevel = agentLogLevel(setup.logger);
    const listeners = [...(setup.listeners ?? []), ...(options.onEvent ? [options.onEvent] : [])];
    const { task, inputs, fingerprint, approvals } = setup;
    const journal = setup.journal && new RunJournal(setup.journal, this.#state, { runId: this.runId, fingerprint, task, inputs, approvals });
    this.#journal = journal;
    this.#report = new RunReporter(this.runId, setup.logger, graph, listeners, journal && ((deliver) => journal.whenWritten(deliver)));
    const valueOf = (key: string): unknown => this.#state.context.get(key);
    this.#repeats = new Repeats(graph, valueOf);
    this.#settle = new Settlement(graph, config, this.#state, journal, this.#report, this.#repeats);
    this.#conditions = new Conditions(graph, valueOf);
    this.#result = new Promise((resolve) => (this.#resolve = resolve));
    this.#approvals = new ApprovalDesk(this.runId, options.onApproval);
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
      const { graph, approvals } = this.#s;
      this.#tasks = {
        graph, context: this.#state, callId: this.#callId, stepTimeoutMs: config.stepTimeoutMs ?? 0,
        approval: Object.keys(approvals).length > 0 ? (stepId) => decisionFor(approvals, stepId) : () => undefined,
        tiny: (i) => this.#inPool.tiny(i),
      };
      this.#report.emit({ type: "run:start", runId: this.runId, time: this.#epoch, steps: this.#state.size, waves: this.#s.graph.waves });
      const signal = this.#o.signal;
      if (signal?.aborted) return this.cancel("the run's signal was aborted before it started", "info");
      signal?.addEventListener("abort", this.#onAbort, { once: true });
      const fired = this.#conditions.start(this.#state.status);
      if (fired !== undefined) return this.#terminate(fired);
      for (const i of this.#state.initiallyReady()) this.#admit(i);
      this.#pump();
    });
    return this.#result;
  }

  /** Cancels the run: nothing new starts, running steps stop, what finished is kept. A cancel the caller asked for is news to nobody: `info`. */
  cancel(reason: string, level: "warn" | "info" = "warn"): void {
    if (this.#stop !== undefined || this.#finished) return;
    this.#stop = "cancelled";
    this.#report.log(level, `run cancelled: ${reason}`);
    this.#stopEverything(reason, `the run was cancelled before this step started (${reason})`);
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
    const attempt = this.#state.begin(i);
    const task = stepTask(this.#tasks, i, attempt, this.#repeats.repeats(i) ? this.#repeats.begin(i, attempt) : undefined);
    if (task instanceof Error) return this.#then(i, this.#settle.failedBeforeStart(i, attempt, task));
    resetSlot(this.#clock, i);
    const step = this.#s.graph.steps[i]!;
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
    const iteration = this.#repeats.iterationOf(i);
    this.#report.stepStart(i, attempt, iteration === undefined ? undefined : { iteration });
  }

  /** The one place an attempt's end is applied: success, retry, pause, or final failure. */
  #ended(i: number, flight: Attempt, end: AttemptEnd): void {
    if (this.#flights.get(i) !== flight) return;
    this.#flights.delete(i);
    const asked = this.#approvals.take(i);
    const attempt = flight.task.attempt;
    // A step that waited in the pool until now starts and ends at once (unless refused, which never
    // started); else the one that waited longest took its thread, and starts once this one ended.
    const next = this.#inPool.left(i);
    if (end.kind === "refused") {
      this.#state.unbegin(i);
      if (this.#stop === undefined) this.#ready.push(i);
      else this.#dropPending("the run was cancelled before this step started");
    } else {
      if (next === -1) this.#started(i, attempt);
      this.#then(i, this.#settle.ended(i, attempt, end, asked, this.#stop));
    }
    if (next >= 0) this.#started(next, this.#flights.get(next)!.task.attempt);
    this.#pump();
  }

  /** What the loop does once step `i` settled. */
  #then(i: number, settled: Settled): void {
    if (settled.completed) {
      const fired = this.#conditions.completed(i);
      if (fired !== undefined) this.#terminate(fired);
    }
    // A listener or a termination may have stopped the run: its pending steps are settled, not ready.
    if (settled.ready !== undefined) for (const d of settled.ready) if (this.#state.status[d] === "pending") this.#admit(d);
    if (settled.again) this.#ready.push(i);
    if (settled.retryAfterMs !== undefined) {
      this.#retries.set(i, setTimeout(() => this.#guard(() => {
        this.#retries.delete(i);
        if (this.#stop !== undefined) return;
        this.#ready.push(i);
        this.#pump();
      }), settled.retryAfterMs));
    }
    if (settled.failFast !== undefined) this.cancel(settled.failFast);
  }

  /** Step `i` is ready: it waits for a thread, unless its `when` is false (it and its dependents are skipped). */
  #admit(i: number): void {
    let runs: boolean;
    try {
      runs = this.#conditions.admits(i);
    } catch (error) {
      return this.#then(i, this.#settle.failedBeforeStart(i, this.#state.begin(i), error as WavepoolError));
    }
    if (runs) return this.#ready.push(i);
    const skipped = this.#state.skipByCondition(i);
    this.#journal?.settled(skipped);
    const { steps } = this.#s.graph;
    this.#report.log("info", `step ${steps[i]!.stepId} skipped: its when (${this.#s.graph.dynamic[i]!.when!.text}) is false`, i);
    for (const d of skipped.slice(1)) this.#report.log("info", `step ${steps[d]!.stepId} skipped: it depends on ${steps[i]!.stepId}, which its when skipped`, d);
  }

  /** A termination holds: nothing new starts, running steps are stopped, pending ones skipped; what finished is kept. */
  #terminate(fired: Fired): void {
    if (this.#stop !== undefined || this.#finished) return;
    this.#stop = "terminated";
    const t = this.#s.graph.terminations[fired.index]!;
    this.#terminationReason = fired.reason ?? `terminate[${fired.index}] holds: ${t.when.text}`;
    this.#report.log("info", `run terminated: ${this.#terminationReason}`);
    this.#stopEverything(`the run was terminated: ${this.#terminationReason}`, "");
  }

  /** Nothing new starts (retries included), pending steps settle (`why`), running ones are stopped (`reason`). */
  #stopEverything(reason: string, why: string): void {
    for (const timer of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
    this.#ready.drain();
    this.#dropPending(why);
    for (const attempt of this.#flights.values()) attempt.cancel(reason);
    this.#pump();
  }

  /** The run stopped: its pending steps are cancelled, or skipped by its termination. */
  #dropPending(why: string): void {
    const settled = this.#stop === "terminated" ? this.#state.terminatePending() : this.#state.cancelPending(new RunCancelledError(why));
    this.#journal?.settled(settled);
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
    this.#settle.measured.forEach((ms, i) => Number.isNaN(ms) || learn(graph.steps[i]!.stepId, ms));
    this.#s.hub.forget(this.#callId);
    markRunEnded(this.#clock);
    this.#o.signal?.removeEventListener("abort", this.#onAbort);
    const stateError = await this.#journal?.close();
    if (stateError !== undefined) this.#report.log("error", `could not save the state to ${stateError.path}: ${stateError.message}; the file is stale`);
    const endedAt = preciseNow();
    const result = this.#state.result({ runId: this.runId, stop: this.#stop, startedAt: this.#epoch, endedAt, stateError, terminationReason: this.#terminationReason });
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
