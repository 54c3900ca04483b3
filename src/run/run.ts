// The loop of one run: it connects the pure state (./run-state.ts), the scheduler (../schedule) and
// attempts (./attempt.ts). Steps start in one place (#dispatch), built by ./step-task.ts, and every
// attempt's end is applied in one place (#ended), by ./settlement.ts; what follows a settled unit is
// ./advance.ts, and how the run stops early is ./run-stop.ts. Every callback into the loop goes
// through #guard, so a bug ends the run as cancelled with the bug logged, never as an unhandled
// rejection or a run that never resolves.
import { randomUUID } from "node:crypto";
import { preciseNow } from "../pool/precise-time.js";
import { clockTimes } from "../pool/step-clock.js";
import { nextSteps } from "../schedule/next-steps.js";
import type { ReadyQueue } from "../schedule/ready-queue.js";
import type { ApprovalDesk } from "./approvals.js";
import { Attempt, withOutput, type AttemptContext, type AttemptEnd } from "./attempt.js";
import type { Flight, OnFlightEnd } from "./attempt-runner.js";
import type { Conditions } from "./conditions.js";
import { Advance } from "./advance.js";
import { EndQueue } from "./end-queue.js";
import type { Gate } from "./gate.js";
import type { InPool } from "./in-pool.js";
import type { Lanes } from "./lanes.js";
import { RedesignDesk, type Redesigned } from "./redesign-desk.js";
import type { Repeats } from "./repeats.js";
import { RetryTimers } from "./retry-timers.js";
import type { ParallelOrchestrationResult } from "./result.js";
import { runConstants } from "./run-constants.js";
import type { RunJournal } from "./run-journal.js";
import { runParts } from "./run-parts.js";
import type { RunReporter } from "./run-reporter.js";
import { runResult } from "./run-result.js";
import { finishRun, resultNow } from "./run-finish.js";
import type { ExecuteOptions, RunSetup } from "./run-setup.js";
import type { RunState } from "./run-state.js";
import { RunStop } from "./run-stop.js";
import type { Settlement } from "./settlement.js";
import type { UnitTasks } from "./step-task.js";
import type { Units } from "./units.js";

export type { ExecuteOptions, RunSetup } from "./run-setup.js";
export type { Redesigned } from "./redesign-desk.js";

export type { ApprovalRequestEvent } from "./approvals.js";

export class Run {
  readonly runId: string;
  readonly #s: RunSetup;
  readonly #o: ExecuteOptions;
  readonly #state: RunState;
  readonly #ready: ReadyQueue;
  readonly #flights = new Map<number, Flight>();
  readonly #retries = new RetryTimers();
  readonly #approvals: ApprovalDesk;
  readonly #clock: Int32Array;
  readonly #inPool: InPool;
  readonly #settle: Settlement;
  readonly #conditions: Conditions;
  readonly #repeats: Repeats;
  readonly #units: Units;
  readonly #lanes: Lanes;
  readonly #gate: Gate;
  readonly #report: RunReporter;
  /** The state file, when the run saves one. */
  readonly #journal: RunJournal | undefined;
  readonly #result: Promise<ParallelOrchestrationResult>;
  #resolve!: (result: ParallelOrchestrationResult) => void;
  #epoch = 0;
  /** What every attempt of this run shares, made once when the run starts. */
  #attempts!: AttemptContext;
  readonly #tasks: UnitTasks;
  /** The call id of the run's own clock (its steps' calls back), once it has started. */
  #callId = 0;
  readonly #stops: RunStop;
  readonly #desk: RedesignDesk;
  readonly #advance: Advance;
  #finished = false;

  constructor(setup: RunSetup, options: ExecuteOptions) {
    this.runId = setup.runId ?? randomUUID();
    this.#s = setup;
    this.#o = options;
    ({
      state: this.#state, ready: this.#ready, units: this.#units, clock: this.#clock, inPool: this.#inPool,
      journal: this.#journal, report: this.#report, repeats: this.#repeats, settle: this.#settle, conditions: this.#conditions,
      approvals: this.#approvals, lanes: this.#lanes, gate: this.#gate, tasks: this.#tasks,
    } = runParts(this.runId, setup, options, {
      current: (u, attempt) => this.#current(u, attempt),
      guard: (fn) => this.#guard(fn),
      attempts: () => this.#attempts,
      callId: () => this.#callId,
    }));
    this.#stops = new RunStop({
      state: this.#state, ready: this.#ready, retries: this.#retries, flights: this.#flights, journal: this.#journal,
      report: this.#report, terminations: setup.graph.terminations,
      parentsSettled: () => this.#advance.parentsSettled(), pump: () => this.#pump(), finished: () => this.#finished,
    });
    this.#desk = new RedesignDesk({
      ask: options.onStepFailed, check: setup.checkRedesign, report: this.#report,
      guard: (fn) => this.#guard(fn), decided: () => this.#stops.redesign(), answered: () => this.#pump(),
      snapshot: () => runResult(this.#state, { runId: this.runId, stop: undefined, startedAt: this.#epoch, endedAt: preciseNow(), stateError: undefined }),
    });
    this.#advance = new Advance({
      state: this.#state, units: this.#units, gate: this.#gate, settle: this.#settle, conditions: this.#conditions, ready: this.#ready,
      retries: this.#retries, report: this.#report, stops: this.#stops, desk: this.#desk, failFast: setup.config.failFast,
      pump: () => this.#pump(), guard: (fn) => this.#guard(fn),
    });
    this.#result = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** Runs to the end; resolves with the result (never rejects). */
  start(): Promise<ParallelOrchestrationResult> {
    this.#epoch = preciseNow();
    const { pool, config } = this.#s;
    this.#attempts = { pool, clock: this.#clock, times: clockTimes(this.#clock), epoch: this.#epoch, loadTimeoutMs: config.agentLoadTimeoutMs, cancelGraceMs: config.cancelGraceMs };
    this.#guard(() => {
      this.#lanes.epoch = this.#epoch;
      const ids = this.#s.graph.steps.map((step) => step.stepId);
      this.#callId = this.#lanes.open(this.#clock, (slot) => slot, (identity) => runConstants(identity, ids, this.#s.agents));
      this.#report.emit({ type: "run:start", runId: this.runId, time: this.#epoch, steps: this.#state.size, waves: this.#s.graph.waves });
      const signal = this.#o.signal;
      if (signal?.aborted) return this.cancel("the run's signal was aborted before it started", "info");
      signal?.addEventListener("abort", this.#onAbort, { once: true });
      const fired = this.#conditions.start(this.#state.status);
      if (fired !== undefined) return this.#stops.terminate(fired);
      for (const i of this.#state.initiallyReady()) this.#advance.admit(i);
      this.#pump();
    });
    return this.#result;
  }

  /** Cancels the run: nothing new starts, running steps stop, what finished is kept. A cancel the caller asked for is news to nobody: `info`. */
  cancel(reason: string, level: "warn" | "info" = "warn"): void {
    this.#stops.cancel(reason, level);
  }

  /** How the run stopped early, if it did (./run-stop.ts). */
  get #stop(): RunStop["stop"] {
    return this.#stops.stop;
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
    const { config } = this.#s;
    const state = { mode: config.scheduling, ready: this.#ready, running: 0, limit: 0, level: this.#units.level, openLevel: 0 };
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
    if (this.#flights.size === 0 && this.#retries.size === 0 && this.#desk.deciding === 0 && !this.#finished) this.#end();
  }

  /**
   * The one place a step attempt is handed to the pool; `queued`: it waits in the pool's queue until
   * a step of this run ends, and starts (its `step:start`) then.
   */
  #dispatch(u: number, queued: boolean): void {
    const attempt = this.#state.begin(u);
    const placed = this.#tasks.make(u, attempt);
    if (placed instanceof Error) return this.#advance.then(u, this.#settle.failedBeforeStart(u, attempt, placed));
    // On the pool unless a backend executes the run's attempts (./attempt-runner.ts).
    const runner = this.#s.runner;
    const flight = runner === undefined ? new Attempt(placed.attempts, placed.task, placed.where, this.#onAttemptEnd, u) : runner.start(placed, u, this.#onAttemptEnd);
    this.#flights.set(u, flight);
    this.#inPool.handed(u, queued);
    if (!queued) this.#started(u, attempt);
  }

  // Ends are applied in arrival order, in bounded slices of the event loop (./end-queue.ts).
  readonly #onAttemptEnd: OnFlightEnd = (flight, end) => this.#ends.push(flight, end);

  // #guard, without a closure per step.
  readonly #ends = new EndQueue<Flight, AttemptEnd>((flight, end) => {
    try {
      this.#ended(flight.unit, flight, withOutput(end, this.#tasks.where(flight.unit)));
    } catch (bug) {
      this.#bug(bug);
    }
  });

  /** Step `i`'s attempt reached a thread. */
  #started(i: number, attempt: number): void {
    this.#report.waveStart(this.#units.level[i]!);
    const iteration = this.#repeats.iterationOf(i);
    this.#report.stepStart(i, attempt, iteration === undefined ? undefined : { iteration });
  }

  /** The one place an attempt's end is applied: success, retry, pause, or final failure. */
  #ended(i: number, flight: Flight, end: AttemptEnd): void {
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
      else this.#stops.dropPending("the run was cancelled before this step started");
    } else {
      if (next === -1) this.#started(i, attempt);
      this.#advance.then(i, this.#settle.ended(i, attempt, end, asked, this.#stop));
    }
    if (next >= 0) this.#started(next, this.#flights.get(next)!.task.attempt);
    this.#pump();
  }

  /** The strategy `onStepFailed` gave, once the run has handed over to it. */
  get redesign(): Redesigned | undefined {
    return this.#stop === "redesigned" ? this.#desk.taken : undefined;
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

  /** Finishes the run (./run-finish.ts); a bug on the way still resolves `execute`, with what the state holds. */
  #end(): void {
    this.#finished = true;
    this.#o.signal?.removeEventListener("abort", this.#onAbort);
    const run = {
      runId: this.runId, setup: this.#s, state: this.#state, measured: this.#settle.measured, lanes: this.#lanes, clock: this.#clock,
      gate: this.#gate, journal: this.#journal, report: this.#report, startedAt: this.#epoch,
    };
    finishRun(run, () => ({ stop: this.#stop, terminationReason: this.#stops.terminationReason })).then(this.#resolve, (bug: unknown) => {
      this.#report.log("error", `wavepool bug while finishing the run: ${(bug as Error)?.stack ?? String(bug)}`);
      this.#resolve(resultNow(run, this.#stop));
    });
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
