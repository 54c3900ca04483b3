// One execution of a strategy. All of its state lives here; steps are dispatched in exactly one
// place (#dispatch) and every attempt's end is recorded in exactly one place (#ended). Which
// steps go next is decided by the pure scheduler in ../schedule.
import { randomUUID } from "node:crypto";
import type { Piscina } from "piscina";
import type winston from "winston";
import type { ApprovalDecision, ApprovalRequest } from "../agent.js";
import {
  ApprovalRejectedError, errorInfo, RunCancelledError, StrategyValidationError, type ErrorInfo, type WavepoolError,
} from "../errors.js";
import { bottomLevels } from "../graph/critical-path.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import { renderTemplate } from "../graph/template.js";
import type { HostHub } from "../pool/host-channel.js";
import { CLOCK_CELLS, type AgentSpec, type PauseAnswer, type StepOutcome, type StepTask } from "../pool/protocol.js";
import { WORKER_FILENAME } from "../pool/worker-pool.js";
import { nextSteps } from "../schedule/next-steps.js";
import { priorityRule } from "../schedule/priority.js";
import { ReadyQueue } from "../schedule/ready-queue.js";
import { agentLogLevel } from "./agent-log-level.js";
import { backoffDelay } from "./backoff.js";
import type { ParallelOrchestratorConfig } from "./config.js";
import type { RunEvent } from "./events.js";
import type { ParallelOrchestrationResult, PendingApproval, StepRecord, StepStatus } from "./result.js";
import type { SavedRunState, StateWriter } from "./state-file.js";
import { RunReporter, type RunListener } from "./run-reporter.js";
import { fromOutcome, fromRejection, type AbortCause, type Failure } from "./step-failure.js";
import { resetSlot, startedAt, threadOf, watch } from "./watchdog.js";

/** What an `onApproval` handler receives. */
export interface ApprovalRequestEvent extends ApprovalRequest {
  runId: string;
  stepId: string;
  agent: string;
}

/** Options of one `execute` call. */
export interface ExecuteOptions {
  /** More top-level template variables besides `task`. */
  inputs?: Record<string, unknown>;
  /** Aborts the run: running steps are terminated, pending ones cancelled, finished outputs kept. */
  signal?: AbortSignal;
  /** Receives every run, wave and step event. Errors it throws are logged and ignored. */
  onEvent?: (event: RunEvent) => void;
  /** Answers `ctx.requestApproval` on the main thread. */
  onApproval?: (request: ApprovalRequestEvent) => ApprovalDecision | Promise<ApprovalDecision>;
  /** Rewrites this file atomically after every step that ends: a complete state to resume from. */
  saveStateTo?: string;
  /** Resume a saved run (a state file or a state object): completed steps are not run again. */
  resumeFrom?: string | SavedRunState;
  /** Answers to the approvals a paused state waits for, by step id. */
  approvals?: Record<string, ApprovalDecision>;
}

/** Everything a run needs from its orchestrator. */
export interface RunSetup {
  task: string;
  inputs: Record<string, unknown>;
  graph: DependencyGraph;
  agents: readonly AgentSpec[];
  pool: Piscina;
  hub: HostHub;
  config: ParallelOrchestratorConfig;
  logger: winston.Logger;
  /** Concurrency limit when the config sets none: the pool's thread count. */
  defaultLimit: number;
  /** The cost of a step for priority: its `cost` option, a learned duration, or 1. */
  cost(stepId: string): number | undefined;
  /** Called with the measured duration of every completed attempt. */
  learn(stepId: string, durationMs: number): void;
  /** A saved state to resume: its completed steps are restored, not run. */
  restored?: SavedRunState;
  /** Decisions for steps paused in `restored`. */
  approvals: Readonly<Record<string, ApprovalDecision>>;
  /** Where to save the state after every step that ends. */
  writer?: StateWriter;
  /** Fingerprint of the strategy, stored in saved states. */
  fingerprint: string;
  /** Listeners besides `onEvent` (the tracer's). */
  listeners?: RunListener[];
}

interface Flight {
  attempt: number;
  controller: AbortController | undefined;
  aborted: AbortCause | undefined;
  disarm: (() => void) | undefined;
}

export class Run {
  readonly runId = randomUUID();
  readonly #s: RunSetup;
  readonly #o: ExecuteOptions;
  readonly #n: number;
  readonly #status: StepStatus[];
  readonly #records: StepRecord[];
  readonly #waitingOn: Int32Array;
  readonly #unsettled: number[];
  readonly #waveStarted: boolean[];
  readonly #ready: ReadyQueue;
  readonly #flights = new Map<number, Flight>();
  readonly #retries = new Map<number, NodeJS.Timeout>();
  readonly #context = new Map<string, unknown>();
  /** Completed outputs by output key (the context without task and inputs), as the state file keeps them. */
  readonly #outputs = new Map<string, unknown>();
  readonly #clock: Int32Array;
  readonly #abortable: boolean;
  readonly #limit: number;
  readonly #report: RunReporter;
  #epoch = 0;
  #running = 0;
  #settled = 0;
  #executed = 0;
  #openLevel = 0;
  #stopping: "cancelled" | "paused" | undefined;
  readonly #pending: PendingApproval[] = [];
  #firstError: ErrorInfo | undefined;
  #pauseReason = "";
  #callId = 0;
  #finished = false;
  #done!: (result: ParallelOrchestrationResult) => void;

  constructor(setup: RunSetup, options: ExecuteOptions) {
    this.#s = setup;
    this.#o = options;
    const { graph, config } = setup;
    const n = (this.#n = graph.steps.length);
    this.#status = new Array<StepStatus>(n).fill("pending");
    this.#records = graph.steps.map((step, i) => ({
      stepId: step.stepId, agent: step.assignedAgent, outputKey: step.outputKey, status: "pending",
      wave: graph.level[i]!, threadId: -1, durationMs: 0, attempts: 0, history: [],
    }));
    this.#waitingOn = Int32Array.from(graph.deps, (d) => d.length);
    this.#unsettled = graph.waves.map((w) => w.length);
    this.#waveStarted = graph.waves.map(() => false);
    const bl = bottomLevels(graph, (i) => setup.cost(graph.steps[i]!.stepId) ?? 1);
    this.#ready = new ReadyQueue(priorityRule(config.scheduling, { bottomLevel: bl, level: graph.level }));
    this.#clock = new Int32Array(new SharedArrayBuffer(Math.max(1, n) * CLOCK_CELLS * 4));
    this.#abortable = options.signal !== undefined || config.failFast;
    this.#limit = config.maxConcurrentTasks ?? setup.defaultLimit;
    const listeners = [...(setup.listeners ?? []), ...(options.onEvent ? [options.onEvent] : [])];
    this.#report = new RunReporter(this.runId, setup.logger, graph, listeners);
    if (setup.restored) this.#restore(setup.restored);
  }

  /** Takes every step the saved state completed as done: its record and output come from the state. */
  #restore(state: SavedRunState): void {
    const byId = new Map(state.steps.map((r) => [r.stepId, r]));
    this.#s.graph.steps.forEach((step, i) => {
      const saved = byId.get(step.stepId);
      if (saved?.status !== "completed" || !state.outputs.has(step.outputKey)) return;
      this.#records[i] = structuredClone(saved);
      this.#context.set(step.outputKey, state.outputs.get(step.outputKey));
      this.#outputs.set(step.outputKey, state.outputs.get(step.outputKey));
      this.#finalize(i, "completed", undefined);
    });
  }

  /** Runs to the end; resolves with the result (never rejects for step failures). */
  start(): Promise<ParallelOrchestrationResult> {
    const result = new Promise<ParallelOrchestrationResult>((resolve) => (this.#done = resolve));
    const { task, inputs, graph } = this.#s;
    this.#epoch = Date.now();
    // One registration per run routes every agent's logs, progress and approval requests here;
    // calls from an attempt that is no longer the step's current one are dropped.
    this.#callId = this.#s.hub.listen({
      log: (i, attempt, level, message, meta) => {
        if (this.#current(i, attempt)) this.#report.agentLog(i, attempt, threadOf(this.#clock, i), level, message, meta);
      },
      progress: (i, attempt, value, message) => {
        if (this.#current(i, attempt)) this.#report.progress(i, attempt, threadOf(this.#clock, i), value, message);
      },
      requestApproval: (i, attempt, request) => {
        if (!this.#current(i, attempt)) return Promise.reject(new Error("this attempt of the step has already ended"));
        return this.#approve(i, request);
      },
    });
    this.#context.set("task", task);
    for (const [key, value] of Object.entries(inputs)) this.#context.set(key, value);
    this.#report.emit({ type: "run:start", runId: this.runId, time: this.#epoch, steps: this.#n, waves: graph.waves });
    const signal = this.#o.signal;
    if (signal?.aborted) {
      this.#stop(`the run's signal was aborted before it started`);
    } else {
      signal?.addEventListener("abort", this.#onAbort, { once: true });
      for (let i = 0; i < this.#n; i++) if (this.#waitingOn[i] === 0 && this.#status[i] === "pending") this.#ready.push(i);
      this.#pump();
    }
    return result;
  }

  /** Cancels the run as its signal would: running steps are terminated, pending ones cancelled. */
  cancel(reason: string): void {
    this.#stop(reason);
  }

  // Removed when the run ends: one signal may serve many runs, and a finished run must not change.
  readonly #onAbort = (): void => this.#stop("the run's signal was aborted");

  #pump(): void {
    if (this.#stopping === undefined) {
      const picked = nextSteps({
        mode: this.#s.config.scheduling, ready: this.#ready, running: this.#running, limit: this.#limit,
        level: this.#s.graph.level, openLevel: this.#openLevel,
      });
      for (const i of picked) this.#dispatch(i);
    }
    if (this.#running === 0 && (this.#settled === this.#n || (this.#stopping === "paused" && this.#retries.size === 0))) {
      void this.#finish();
    }
  }

  /** The one place a step attempt is handed to the pool. */
  #dispatch(i: number): void {
    const { graph, config, pool } = this.#s;
    const step = graph.steps[i]!;
    const record = this.#records[i]!;
    const attempt = ++record.attempts;
    const level = graph.level[i]!;
    this.#status[i] = "running";
    if (!this.#waveStarted[level]) {
      this.#waveStarted[level] = true;
      this.#report.emit({ type: "wave:start", runId: this.runId, time: Date.now(), wave: level, stepIds: graph.waves[level]! });
    }
    // No prototype: a plain {} per step with ever new key sets grows V8's hidden-class tree.
    const inputs: Record<string, unknown> = Object.create(null);
    for (const variable of graph.templates[i]!.reads) inputs[variable] = this.#context.get(graph.contextKey(variable));
    let intent: string;
    try {
      intent = renderTemplate(graph.templates[i]!, inputs);
    } catch (cause) {
      const error = new StrategyValidationError(
        `the intent template of step ${step.stepId} failed to render: ${(cause as Error).message}`,
        { path: `steps[${i}].intent`, stepId: step.stepId, agent: step.assignedAgent, cause },
      );
      this.#report.stepEnd(i, attempt, "failed", -1, 0, errorInfo(error));
      this.#finalize(i, "failed", error);
      return;
    }
    const approval = this.#s.approvals[step.stepId];
    if (approval?.approved === false) {
      const error = new ApprovalRejectedError(
        `step ${step.stepId} (agent ${step.assignedAgent}) was rejected by its approver${approval.note ? `: ${approval.note}` : ""}; its dependents are skipped`,
        { stepId: step.stepId, agent: step.assignedAgent },
      );
      this.#report.stepEnd(i, attempt, "failed", -1, 0, errorInfo(error));
      this.#finalize(i, "failed", error);
      return;
    }
    const timeoutMs = step.timeoutMs ?? config.stepTimeoutMs ?? 0;
    const controller = timeoutMs > 0 || this.#abortable ? new AbortController() : undefined;
    const flight: Flight = { attempt, controller, aborted: undefined, disarm: undefined };
    resetSlot(this.#clock, i);
    const spec = this.#s.agents[i]!;
    const task: StepTask = {
      kind: "step", callId: this.#callId, runId: this.runId, stepId: step.stepId, attempt, agent: spec,
      intent, inputs, timeoutMs, clock: this.#clock, slot: i, epoch: this.#epoch, logLevel: agentLogLevel(this.#s),
    };
    if (approval !== undefined) task.approval = approval;
    if (timeoutMs > 0) {
      flight.disarm = watch(this.#clock, i, this.#epoch, timeoutMs, () => {
        flight.aborted = { kind: "timeout", timeoutMs };
        controller!.abort();
      });
    }
    this.#flights.set(i, flight);
    this.#running++;
    this.#report.stepStart(i, attempt);
    const options = controller ? { filename: WORKER_FILENAME, signal: controller.signal } : { filename: WORKER_FILENAME };
    (pool.run(task, options) as Promise<StepOutcome>).then(
      (outcome) => this.#ended(i, flight, outcome, undefined),
      (reason: unknown) => this.#ended(i, flight, undefined, reason),
    );
  }

  /** The one place an attempt's end is recorded: success, retry, or final failure. */
  #ended(i: number, flight: Flight, outcome: StepOutcome | undefined, rejection: unknown): void {
    this.#running--;
    this.#flights.delete(i);
    flight.disarm?.();
    const step = this.#s.graph.steps[i]!;
    const where = { stepId: step.stepId, agent: step.assignedAgent };
    const threadId = outcome?.threadId ?? threadOf(this.#clock, i);
    const started = outcome?.startedAt ?? startedAt(this.#clock, i, this.#epoch);
    const ended = outcome?.endedAt ?? Date.now();
    const paused = outcome !== undefined && !outcome.ok && outcome.reason === "paused";
    const failure: Failure | undefined = outcome?.ok || paused ? undefined
      : outcome ? fromOutcome(outcome, where) : fromRejection(rejection, flight.aborted, where);
    const status = paused ? "paused" : failure?.status ?? "completed";
    const error = failure ? errorInfo(failure.error) : undefined;
    const record = this.#records[i]!;
    if (started !== undefined) {
      record.history.push({ attempt: flight.attempt, status, threadId, startedAt: started, endedAt: ended, ...(error ? { error } : {}) });
      Object.assign(record, { threadId, startedAt: started, endedAt: ended, durationMs: ended - started });
    }
    this.#report.stepEnd(i, flight.attempt, status, threadId, record.durationMs, error);
    if (paused) {
      this.#finalize(i, "paused", undefined);
    } else if (outcome?.ok) {
      this.#context.set(step.outputKey, outcome.output);
      this.#outputs.set(step.outputKey, outcome.output);
      this.#executed++;
      this.#s.learn(step.stepId, ended - started!);
      this.#finalize(i, "completed", undefined);
    } else if (failure!.retryable && flight.attempt < this.#maxAttempts(i) && this.#stopping === undefined) {
      this.#status[i] = "pending";
      const delay = backoffDelay(this.#s.config.retries, flight.attempt + 1);
      this.#retries.set(i, setTimeout(() => {
        this.#retries.delete(i);
        this.#ready.push(i);
        this.#pump();
      }, delay));
    } else {
      this.#finalize(i, failure!.status, failure!.error);
    }
    this.#pump();
  }

  #maxAttempts(i: number): number {
    const own = this.#s.graph.steps[i]!.retries;
    return own === undefined ? this.#s.config.retries.attempts : own + 1;
  }

  /** Puts step `i` in a final state; a failure skips its dependents and may stop the run. */
  #finalize(i: number, status: StepStatus, error: WavepoolError | undefined): void {
    this.#status[i] = status;
    const record = this.#records[i]!;
    record.status = status;
    if (error) record.error = errorInfo(error);
    this.#settle(i);
    const { dependents, steps } = this.#s.graph;
    this.#save();
    if (status === "completed") {
      // Before start() (restoring a state) nothing is queued: start() queues every ready step once.
      for (const d of dependents[i]!) {
        if (--this.#waitingOn[d]! === 0 && this.#status[d] === "pending" && this.#epoch > 0) this.#ready.push(d);
      }
      return;
    }
    if (status !== "failed" && status !== "timed_out") return;
    this.#firstError ??= record.error;
    const stack = [...dependents[i]!];
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (this.#status[d] !== "pending") continue;
      this.#status[d] = this.#records[d]!.status = "skipped";
      this.#settle(d);
      this.#report.log("info", `step ${steps[d]!.stepId} skipped: it depends on ${steps[i]!.stepId}, which ${status === "failed" ? "failed" : "timed out"}`, d);
      stack.push(...dependents[d]!);
    }
    if (this.#s.config.failFast) this.#stop(`step ${steps[i]!.stepId} failed and fail-fast is set`);
  }

  #settle(i: number): void {
    this.#settled++;
    const level = this.#s.graph.level[i]!;
    this.#unsettled[level]!--;
    while (this.#unsettled[this.#openLevel] === 0) this.#openLevel++;
  }

  /** Cancels the run: nothing new starts, running steps are terminated, what finished is kept. */
  #stop(reason: string): void {
    if (this.#stopping === "cancelled" || this.#finished) return;
    this.#stopping = "cancelled";
    this.#report.log("warn", `run cancelled: ${reason}`);
    for (const [i, timer] of this.#retries) {
      clearTimeout(timer);
      this.#retries.delete(i);
    }
    this.#ready.drain();
    const error = new RunCancelledError(`the run was cancelled before this step finished (${reason})`);
    for (let i = 0; i < this.#n; i++) {
      if (this.#status[i] === "pending") this.#finalize(i, "cancelled", error);
    }
    for (const flight of this.#flights.values()) {
      flight.aborted = { kind: "cancel", reason };
      flight.controller?.abort();
    }
    this.#pump();
  }

  /** Stops starting steps; the run ends paused once the running ones have finished. */
  #pause(reason: string): void {
    if (this.#stopping !== undefined) return;
    this.#stopping = "paused";
    this.#pauseReason = reason;
    this.#report.log("warn", `run pausing: ${reason}`);
    // A retry waiting for its backoff is not running: it starts again on resume.
    for (const timer of this.#retries.values()) clearTimeout(timer);
    this.#retries.clear();
  }

  /** Writes the state as it is now and waits for it to be on disk (rejects if it cannot be written). */
  persist(): Promise<void> {
    this.#save(true);
    return this.#s.writer?.flush() ?? Promise.resolve();
  }

  /** Queues the current state for the state file (the writer coalesces and writes atomically). */
  #save(force = false): void {
    const writer = this.#s.writer;
    if (writer === undefined || (this.#epoch === 0 && !force)) return;
    // Live structures, not copies: the writer encodes them when its write starts, and a copy per
    // step that ends would make saving a run of n steps O(n²).
    writer.save({
      format: "wavepool-state", version: 1, fingerprint: this.#s.fingerprint, runId: this.runId, task: this.#s.task,
      inputs: this.#s.inputs, outputs: this.#outputs, steps: this.#records, pendingApprovals: this.#pending,
      approvals: this.#s.approvals, savedAt: Date.now(),
    });
  }

  #current(i: number, attempt: number): boolean {
    return this.#flights.get(i)?.attempt === attempt;
  }

  async #finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.#s.hub.forget(this.#callId);
    this.#o.signal?.removeEventListener("abort", this.#onAbort);
    this.#save();
    try {
      await this.#s.writer?.flush();
    } catch (error) {
      this.#report.log("error", `could not save the state to ${this.#s.writer!.file}: ${(error as Error).message}`);
    }
    const endedAt = Date.now();
    const success = this.#records.every((r) => r.status === "completed");
    const paused = this.#stopping === "paused";
    const result: ParallelOrchestrationResult = {
      runId: this.runId, success, cancelled: this.#stopping === "cancelled", paused, pendingApprovals: this.#pending,
      context: this.#context, waves: this.#s.graph.waves.map((w) => [...w]), steps: this.#records,
      stepsExecuted: this.#executed, startedAt: this.#epoch, endedAt, durationMs: endedAt - this.#epoch,
    };
    if (!success && this.#firstError) result.error = this.#firstError;
    if (paused) result.pauseReason = this.#pauseReason;
    this.#report.emit({ type: "run:end", runId: this.runId, time: endedAt, result });
    this.#done(result);
  }

  async #approve(i: number, request: ApprovalRequest): Promise<ApprovalDecision | PauseAnswer> {
    const step = this.#s.graph.steps[i]!;
    const handler = this.#o.onApproval;
    if (handler === undefined) {
      // Nobody can answer now: the step ends `paused`, nothing new starts, running steps finish,
      // and the result lists the request so that a person can answer it with `approvals` on resume.
      this.#pending.push({ stepId: step.stepId, agent: step.assignedAgent, message: request.message, payload: request.payload });
      this.#pause(`step ${step.stepId} waits for approval: ${request.message}`);
      return { pause: true };
    }
    const decision = await handler({ runId: this.runId, stepId: step.stepId, agent: step.assignedAgent, ...request });
    if (typeof decision?.approved !== "boolean") {
      throw new TypeError(`onApproval must return { approved: boolean, note?: string }, got ${JSON.stringify(decision)}`);
    }
    return decision.note === undefined ? { approved: decision.approved } : { approved: decision.approved, note: String(decision.note) };
  }
}
