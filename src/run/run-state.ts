// The state of one run as plain data with pure transitions: step statuses and records, the context
// and the outputs. No threads, no timers, no events: the loop (./run.ts) applies what attempts report
// and tests drive it directly. How many dependencies each step still waits for is counted by
// ./dependency-counts.ts; the items of fan-outs are kept by ./fan-out-items.ts, on this state's units.
import { errorInfo, type ErrorInfo, type WavepoolError } from "../errors.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { WireValue } from "../pool/wire-value.js";
import { ContextWires } from "./context-wires.js";
import { DependencyCounts } from "./dependency-counts.js";
import type { AttemptRecord, PendingApproval, SkipReason, StepRecord, StepStatus } from "./result.js";
import type { SavedRunState } from "./state-file.js";
import { FanOutItems, type ParentSettled } from "./fan-out-items.js";
import { restoredSteps, type RestoredStep } from "./restored-steps.js";

export type { ParentSettled } from "./fan-out-items.js";

/**
 * How a finished run stopped early, if it did: cancelled (signal, fail-fast), ended by a
 * termination, or handed over to a new strategy from `onStepFailed` (it goes on as another run).
 */
export type Stop = "cancelled" | "terminated" | "redesigned" | undefined;

export class RunState {
  readonly graph: DependencyGraph;
  readonly status: StepStatus[];
  readonly records: StepRecord[];
  /** Every completed output by output key, plus `task` and the inputs. */
  readonly context = new Map<string, unknown>();
  /** What the state file keeps: completed outputs by output key (no task, no inputs), and a repeat step's last iteration's while it goes on. */
  readonly outputs = new Map<string, unknown>();
  readonly pendingApprovals: PendingApproval[] = [];
  /** Context values in the form they cross to workers, made once each. */
  readonly #wires = new ContextWires(this.context);
  /** Steps settled (completed, failed, skipped, cancelled, paused). */
  settled = 0;
  /** Steps completed by this run (restored ones are not counted). */
  executed = 0;
  firstError: ErrorInfo | undefined;
  readonly #counts: DependencyCounts;
  /** Units 0..steps-1 are steps; the items of fan-outs follow (./units.ts). */
  readonly #steps: number;
  readonly #items: FanOutItems;

  constructor(graph: DependencyGraph, task: string, inputs: Record<string, unknown>) {
    this.graph = graph;
    this.status = new Array<StepStatus>(graph.steps.length).fill("pending");
    this.records = graph.steps.map((step, i) => ({
      stepId: step.stepId, agent: step.assignedAgent, outputKey: step.outputKey, status: "pending",
      wave: graph.level[i]!, threadId: -1, durationMs: 0, attempts: 0, history: [],
    }));
    this.#steps = graph.steps.length;
    this.#counts = new DependencyCounts(graph);
    this.context.set("task", task);
    for (const key of Object.keys(inputs)) this.context.set(key, inputs[key]);
    this.#items = new FanOutItems({
      graph, status: this.status, records: this.records, context: this.context,
      complete: (u, output) => this.complete(u, output),
      fallShort: (i, status) => this.#fallShort(i, status),
    });
  }

  /** How many steps the run has (items aside). */
  get size(): number {
    return this.#steps;
  }

  /**
   * Takes every step a saved state completed as done: its record and output come from the state. A
   * `repeat` step it left between iterations keeps its record (attempts, history, `iterations`) and
   * its last iteration's output; returns those steps, for ./repeats.ts to go on with.
   */
  restore(saved: SavedRunState): RestoredStep[] {
    this.#items.restore(saved);
    const { completed, iterating } = restoredSteps(this.graph, saved);
    for (const { i, record, output } of completed) {
      this.records[i] = record;
      this.#complete(i, output);
    }
    for (const { i, record, output } of iterating) {
      this.records[i] = record;
      this.outputs.set(record.outputKey, output);
    }
    return iterating;
  }

  /** waves mode: the lowest level that still has unsettled steps. */
  get openLevel(): number {
    return this.#counts.openLevel;
  }

  /** The steps that can start now: pending, with every dependency completed. */
  initiallyReady(): number[] {
    return this.#counts.ready(this.status);
  }

  /** Step `i` starts an attempt; returns its number (1 for the first try). */
  begin(i: number): number {
    this.status[i] = "running";
    return ++this.records[i]!.attempts;
  }

  /** The attempt never started (its thread refused it): the step is pending again, the try uncounted. */
  unbegin(i: number): void {
    this.status[i] = "pending";
    this.records[i]!.attempts--;
  }

  /** The attempt ended and will be retried: pending again, its try kept in the history. */
  retry(i: number): void {
    this.status[i] = "pending";
  }

  /** Iteration `iteration` of repeat step `i` finished with `output`: counted, and kept for a resume to go on from. */
  iterated(i: number, iteration: number, output: unknown): void {
    this.records[i]!.iterations = iteration;
    this.outputs.set(this.records[i]!.outputKey, output);
  }

  /** Keeps an attempt that started on a thread in the step's history and as its latest timing. */
  recordAttempt(i: number, attempt: AttemptRecord): void {
    const record = this.records[i]!;
    record.history.push(attempt);
    record.threadId = attempt.threadId;
    if (attempt.worker !== undefined) record.worker = attempt.worker;
    record.startedAt = attempt.startedAt;
    record.endedAt = attempt.endedAt;
    record.durationMs = attempt.endedAt - attempt.startedAt;
  }

  /**
   * Step `i` completed with `output`, which crossed from its worker as `wire` (its bytes, handed as
   * they are to every step that reads it); returns the dependents that became ready.
   */
  complete(i: number, output: unknown, wire?: WireValue): number[] {
    if (i < this.#steps) this.executed++;
    return this.#complete(i, output, wire);
  }

  /** The wire form of context value `key`, one for every step that reads it (./context-wires.ts). */
  wireOf(key: string): WireValue {
    return this.#wires.of(key);
  }

  #complete(i: number, output: unknown, wire?: WireValue): number[] {
    const key = this.records[i]!.outputKey;
    this.context.set(key, output);
    this.outputs.set(key, output);
    this.#wires.set(key, wire);
    this.#settle(i, "completed");
    return i < this.#steps ? this.#counts.completed(i, this.status) : [];
  }

  /** Step `i` failed (or timed out) for good; returns its transitive dependents, now skipped. */
  fail(i: number, status: "failed" | "timed_out", error: WavepoolError): number[] {
    this.#settle(i, status, error);
    this.firstError ??= this.records[i]!.error;
    // An item's failure reaches the step's dependents when its fan-out settles (`takeSettledParents`).
    return i < this.#steps ? this.#skipDependents(i, "dependency") : [];
  }

  /**
   * Step `i`'s `when` was false: it is skipped, and so are its transitive dependents (they would
   * read what it did not produce). Returns them all, `i` first.
   */
  skipByCondition(i: number): number[] {
    this.#settle(i, "skipped");
    this.records[i]!.skipReason = "condition";
    return [i, ...this.#skipDependents(i, "condition")];
  }

  #skipDependents(i: number, reason: SkipReason): number[] {
    const skipped = this.#counts.pendingDependents(i, this.status);
    for (const d of skipped) {
      this.#settle(d, "skipped");
      this.records[d]!.skipReason = reason;
    }
    return skipped;
  }

  /** Step `i` waits for a person; its dependents stay pending, everything else goes on. */
  pause(i: number, request: PendingApproval): void {
    this.pendingApprovals.push(request);
    this.#settle(i, "paused");
  }

  /** Every step not started yet ends `cancelled`; returns them. */
  cancelPending(error: WavepoolError): number[] {
    return this.#settlePending((i) => this.#settle(i, "cancelled", error));
  }

  /** A termination ended the run: every step not started yet is skipped (`terminated`); returns them. */
  terminatePending(): number[] {
    return this.#settlePending((i) => this.#terminated(i));
  }

  /** A step that was running ends `cancelled`, or `skipped` (`terminated`) when a termination stopped it. */
  cancelRunning(i: number, error: WavepoolError, terminated = false): void {
    if (terminated) this.#terminated(i);
    else this.#settle(i, "cancelled", error);
  }

  #settlePending(settle: (i: number) => void): number[] {
    const settled: number[] = [];
    for (let i = 0; i < this.status.length; i++) {
      if (this.status[i] !== "pending") continue;
      settle(i);
      settled.push(i);
    }
    return settled;
  }

  #terminated(i: number): void {
    this.records[i]!.skipReason = "terminated";
    this.#settle(i, "skipped");
  }

  #settle(i: number, status: StepStatus, error?: WavepoolError): void {
    this.status[i] = status;
    const record = this.records[i]!;
    record.status = status;
    if (error) record.error = errorInfo(error);
    if (i >= this.#steps) return this.#items.itemSettled(i);
    this.settled++;
    this.#counts.settled(i);
  }

  /**
   * Fan-out step `i`'s list has `count` items, units `base`.. on (./units.ts): their records start
   * pending, and the items a saved state completed are completed now. Returns the items to run.
   */
  expand(i: number, base: number, count: number): number[] {
    return this.#items.expand(i, base, count);
  }

  /** The fan-out steps that settled since the last call (their items all settled), and what that did. */
  takeSettledParents(): ParentSettled[] {
    return this.#items.takeSettledParents();
  }

  /** Fan-out step `i` settled short of completing, as its items went; returns the dependents its failure skips. */
  #fallShort(i: number, status: StepStatus): number[] {
    this.#settle(i, status);
    if (status !== "failed") return [];
    this.firstError ??= this.records[i]!.error;
    return this.#skipDependents(i, "dependency");
  }

  /**
   * The whole state to save: when the state file starts (before any step runs) or must be written
   * again (after the run ended). Live structures, not copies: nothing changes them at those times.
   */
  snapshot(run: Pick<SavedRunState, "runId" | "fingerprint" | "task" | "inputs" | "approvals">): SavedRunState {
    return {
      format: "wavepool-state", version: 1, ...run, outputs: this.outputs, steps: this.records,
      pendingApprovals: this.pendingApprovals, savedAt: Date.now(),
    };
  }

  /** The records in result order: each step's, its items' after it. */
  orderedRecords(): StepRecord[] {
    return this.#items.orderedRecords(this.#steps);
  }
}
