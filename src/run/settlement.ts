// What an attempt's end does to a run's state, its state file and its events, in that order: a step
// that settles is recorded in the journal before its end is reported, so an end anyone saw survives
// `kill -9`. The run's loop (./run.ts) decides what happens next from the answer: steps that became
// ready, a retry after a delay, or a failure that stops the run under fail-fast.
import { errorInfo, RunCancelledError, type WavepoolError } from "../errors.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { AttemptEnd } from "./attempt.js";
import { backoffDelay, maxAttempts } from "./backoff.js";
import type { ParallelOrchestratorConfig } from "./config.js";
import type { AttemptRecord, PendingApproval } from "./result.js";
import type { RunJournal } from "./run-journal.js";
import type { RunReporter } from "./run-reporter.js";
import type { Repeats } from "./repeats.js";
import type { Units } from "./units.js";
import type { ParentSettled, RunState, Stop } from "./run-state.js";

/**
 * What the loop does after an end: admit `ready` (the dependents of a step that `completed`), retry
 * after `retryAfterMs`, or stop (`failFast`).
 */
export interface Settled {
  completed?: true;
  /** A step (not an item) failed for good: its dependents were skipped. */
  failed?: true;
  /** A repeat step runs its next iteration. */
  again?: true;
  ready?: readonly number[];
  retryAfterMs?: number;
  failFast?: string;
}

export class Settlement {
  readonly #graph: DependencyGraph;
  readonly #config: ParallelOrchestratorConfig;
  readonly #state: RunState;
  readonly #journal: RunJournal | undefined;
  readonly #report: RunReporter;
  readonly #repeats: Repeats;
  readonly #units: Units;
  /** How long each step that completed took (ms), NaN for the others: learned when the run ends. */
  readonly measured: Float64Array;

  constructor(graph: DependencyGraph, config: ParallelOrchestratorConfig, state: RunState, journal: RunJournal | undefined, report: RunReporter, repeats: Repeats, units: Units) {
    this.#repeats = repeats;
    this.#units = units;
    this.#graph = graph;
    this.#config = config;
    this.#state = state;
    this.#journal = journal;
    this.#report = report;
    this.measured = new Float64Array(graph.steps.length).fill(NaN);
  }

  /**
   * Applies the end of attempt `attempt` of step `i` (one the thread did not refuse). `asked`: the
   * approval request that made it pause; `stop`: how the run is stopping, if it is (no retry then).
   */
  ended(i: number, attempt: number, end: Exclude<AttemptEnd, { kind: "refused" }>, asked: PendingApproval | undefined, stop: Stop): Settled {
    const state = this.#state;
    const status = end.kind === "failed" ? end.failure.status : end.kind;
    const error = end.kind === "failed" ? errorInfo(end.failure.error) : undefined;
    const iteration = this.#repeats.iterationOf(i);
    if (end.startedAt !== undefined) {
      const record: AttemptRecord = { attempt, status, threadId: end.threadId, startedAt: end.startedAt, endedAt: end.endedAt };
      if (end.worker !== undefined) record.worker = end.worker;
      if (iteration !== undefined) record.iteration = iteration;
      if (error !== undefined) record.error = error;
      state.recordAttempt(i, record);
    } else if (end.worker !== undefined) {
      // Ended on a worker before it started (refused there with AgentLoadError: its module outside
      // --allow, or another version): no attempt to keep, but the record names that worker, and its
      // thread with it (-1 for a refusal), not a thread an earlier attempt ran on elsewhere.
      state.records[i]!.worker = end.worker;
      state.records[i]!.threadId = end.threadId;
    }
    const dynamic = iteration === undefined ? undefined : { iteration };
    const report = (): void => this.#report.stepEnd(i, attempt, status, end.threadId, state.records[i]!.durationMs, error, dynamic);
    if (end.kind === "completed") {
      // An item's duration is its step's cost: what a fan-out's items take each.
      this.measured[this.#units.stepOf[i]!] = end.endedAt - end.startedAt;
      if (iteration !== undefined) {
        let it;
        try {
          it = this.#repeats.ended(i, end.output, end.wire);
        } catch (failure) {
          return this.#fail(i, "failed", failure as WavepoolError, report);
        }
        state.iterated(i, it.iteration, end.output);
        if (it.again && stop !== undefined) {
          // The run is stopping: no next iteration, and this one's output is not the step's, but a resume goes on from it.
          state.cancelRunning(i, new RunCancelledError(`the run stopped after iteration ${it.iteration} of step ${this.#graph.steps[i]!.stepId}`), stop === "terminated");
          this.#journal?.iterated(i, end);
          report();
          return {};
        }
        if (it.again) {
          this.#journal?.iterated(i, end);
          report();
          state.retry(i);
          return { again: true };
        }
        if (it.exhausted) state.records[i]!.repeatExhausted = true;
      }
      const ready = state.complete(i, end.output, end.wire);
      this.#journal?.settled([i], end);
      report();
      return { completed: true, ready };
    }
    if (end.kind === "paused") {
      const request = asked ?? { stepId: this.#units.idOf(i), agent: this.#graph.steps[this.#units.stepOf[i]!]!.assignedAgent, message: "" };
      state.pause(i, request);
      this.#journal?.settled([i], undefined, request);
      report();
      return {};
    }
    if (end.failure.status === "cancelled") {
      state.cancelRunning(i, end.failure.error, stop === "terminated");
      this.#journal?.settled([i]);
      report();
      return {};
    }
    // An attempt lost with its worker process runs again at once; the backend bounds how often.
    if (end.lost === true && stop === undefined) {
      report();
      state.retry(i);
      return { retryAfterMs: 0 };
    }
    if (end.failure.retryable && stop === undefined && this.#repeats.tries(i, attempt) < maxAttempts(this.#graph.steps[this.#units.stepOf[i]!]!, this.#config.retries)) {
      report();
      state.retry(i);
      return { retryAfterMs: backoffDelay(this.#config.retries, attempt + 1) };
    }
    return this.#fail(i, end.failure.status, end.failure.error, report);
  }

  /** Step `i`'s `when` was false: it and the dependents `skipped` with it (`i` first) are recorded. */
  skippedByCondition(skipped: readonly number[]): void {
    this.#journal?.settled(skipped);
    const { steps, dynamic } = this.#graph;
    const i = skipped[0]!;
    this.#report.log("info", `step ${steps[i]!.stepId} skipped: its when (${dynamic[i]!.when!.text}) is false`, i);
    for (const d of skipped.slice(1)) this.#report.log("info", `step ${steps[d]!.stepId} skipped: it depends on ${steps[i]!.stepId}, which its when skipped`, d);
  }

  /**
   * Fan-out steps whose items have all settled since the last call, recorded and reported; the loop
   * admits the dependents of those that completed.
   */
  parentsSettled(): ParentSettled[] {
    const parents = this.#state.takeSettledParents();
    for (const p of parents) {
      const record = this.#state.records[p.step]!;
      this.#journal?.settled([p.step, ...p.skipped]);
      this.#report.stepEnd(p.step, 0, p.status, -1, record.durationMs, record.error);
    }
    return parents;
  }

  /** Attempt `attempt` of step `i` fails before it reaches a thread (its template, a rejected approval). */
  failedBeforeStart(i: number, attempt: number, error: WavepoolError): Settled {
    this.#report.waveStart(this.#units.level[i]!);
    return this.#fail(i, "failed", error, () => this.#report.stepEnd(i, attempt, "failed", -1, 0, errorInfo(error)));
  }

  /** Step `i` failed for good: it and the dependents it skips are recorded, then `report` reports its end. */
  #fail(i: number, status: "failed" | "timed_out", error: WavepoolError, report: () => void): Settled {
    const { steps } = this.#graph;
    const skipped = this.#state.fail(i, status, error);
    this.#journal?.settled([i, ...skipped]);
    report();
    const id = this.#units.idOf(i);
    for (const d of skipped) {
      this.#report.log("info", `step ${steps[d]!.stepId} skipped: it depends on ${id}, which ${status === "failed" ? "failed" : "timed out"}`, d);
    }
    const failed = this.#units.isItem(i) ? {} : { failed: true as const };
    return this.#config.failFast ? { ...failed, failFast: `step ${id} failed and fail-fast is set` } : failed;
  }
}
