// The state of one run as plain data with pure transitions: step statuses and records, how many
// dependencies each step still waits for, the context and the outputs. No threads, no timers, no
// events: the loop (./run.ts) applies what attempts report and tests drive it directly.
import { errorInfo, type ErrorInfo, type WavepoolError } from "../errors.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import { isEncoded, toWire, type WireValue } from "../pool/wire-value.js";
import type { AttemptRecord, ParallelOrchestrationResult, PendingApproval, SkipReason, StateError, StepRecord, StepStatus } from "./result.js";
import type { SavedRunState } from "./state-file.js";

/** How a finished run stopped early, if it did: cancelled (signal, fail-fast) or ended by a termination. */
export type Stop = "cancelled" | "terminated" | undefined;

export class RunState {
  readonly graph: DependencyGraph;
  readonly status: StepStatus[];
  readonly records: StepRecord[];
  /** Every completed output by output key, plus `task` and the inputs. */
  readonly context = new Map<string, unknown>();
  /** Completed outputs by output key (the context without task and inputs), as the state file keeps them. */
  readonly outputs = new Map<string, unknown>();
  readonly pendingApprovals: PendingApproval[] = [];
  /** Context values in the form they cross to workers, made once each (see `wireOf`). */
  readonly #wire = new Map<string, WireValue>();
  /** Steps settled (completed, failed, skipped, cancelled, paused). */
  settled = 0;
  /** Steps completed by this run (restored ones are not counted). */
  executed = 0;
  /** waves mode: the lowest level that still has unsettled steps. */
  openLevel = 0;
  firstError: ErrorInfo | undefined;
  readonly #waitingOn: Int32Array;
  readonly #unsettled: number[];

  constructor(graph: DependencyGraph, task: string, inputs: Record<string, unknown>) {
    this.graph = graph;
    this.status = new Array<StepStatus>(graph.steps.length).fill("pending");
    this.records = graph.steps.map((step, i) => ({
      stepId: step.stepId, agent: step.assignedAgent, outputKey: step.outputKey, status: "pending",
      wave: graph.level[i]!, threadId: -1, durationMs: 0, attempts: 0, history: [],
    }));
    this.#waitingOn = Int32Array.from(graph.deps, (d) => d.length);
    this.#unsettled = graph.waves.map((w) => w.length);
    this.context.set("task", task);
    for (const key of Object.keys(inputs)) this.context.set(key, inputs[key]);
  }

  get size(): number {
    return this.status.length;
  }

  /** Takes every step a saved state completed as done: its record and output come from the state. */
  restore(saved: SavedRunState): void {
    const byId = new Map(saved.steps.map((r) => [r.stepId, r]));
    this.graph.steps.forEach((step, i) => {
      const record = byId.get(step.stepId);
      if (record?.status !== "completed" || !saved.outputs.has(step.outputKey)) return;
      this.records[i] = structuredClone(record);
      this.#complete(i, saved.outputs.get(step.outputKey));
    });
  }

  /** The steps that can start now: pending, with every dependency completed. */
  initiallyReady(): number[] {
    const ready: number[] = [];
    for (let i = 0; i < this.size; i++) if (this.#waitingOn[i] === 0 && this.status[i] === "pending") ready.push(i);
    return ready;
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

  /** Keeps an attempt that started on a thread in the step's history and as its latest timing. */
  recordAttempt(i: number, attempt: AttemptRecord): void {
    const record = this.records[i]!;
    record.history.push(attempt);
    record.threadId = attempt.threadId;
    record.startedAt = attempt.startedAt;
    record.endedAt = attempt.endedAt;
    record.durationMs = attempt.endedAt - attempt.startedAt;
  }

  /**
   * Step `i` completed with `output`, which crossed from its worker as `wire` (its bytes, handed as
   * they are to every step that reads it); returns the dependents that became ready.
   */
  complete(i: number, output: unknown, wire?: WireValue): number[] {
    this.executed++;
    return this.#complete(i, output, wire);
  }

  /**
   * The wire form of context value `key`, one for every step that reads it: a completed output as
   * its worker sent it; `task`, an input or a restored output encoded when a step first reads it.
   * Encoded forms are `EncodedParts`, from which `frameParts` makes the value's state-file bytes
   * without serialising it again. Throws what `encodeParts` throws for a value that cannot cross.
   */
  wireOf(key: string): WireValue {
    if (this.#wire.has(key)) return this.#wire.get(key);
    const wire = toWire(this.context.get(key));
    this.#wire.set(key, wire);
    return wire;
  }

  #complete(i: number, output: unknown, wire?: WireValue): number[] {
    const step = this.graph.steps[i]!;
    this.context.set(step.outputKey, output);
    this.outputs.set(step.outputKey, output);
    if (isEncoded(wire)) this.#wire.set(step.outputKey, wire);
    else this.#wire.delete(step.outputKey);
    this.#settle(i, "completed");
    const ready: number[] = [];
    for (const d of this.graph.dependents[i]!) {
      if (--this.#waitingOn[d]! === 0 && this.status[d] === "pending") ready.push(d);
    }
    return ready;
  }

  /** Step `i` failed (or timed out) for good; returns its transitive dependents, now skipped. */
  fail(i: number, status: "failed" | "timed_out", error: WavepoolError): number[] {
    this.#settle(i, status, error);
    this.firstError ??= this.records[i]!.error;
    return this.#skipDependents(i, "dependency");
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
    const skipped: number[] = [];
    const stack = [...this.graph.dependents[i]!];
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (this.status[d] !== "pending") continue;
      this.#settle(d, "skipped");
      this.records[d]!.skipReason = reason;
      skipped.push(d);
      stack.push(...this.graph.dependents[d]!);
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
    const cancelled: number[] = [];
    for (let i = 0; i < this.size; i++) {
      if (this.status[i] !== "pending") continue;
      this.#settle(i, "cancelled", error);
      cancelled.push(i);
    }
    return cancelled;
  }

  /** A termination ended the run: every step not started yet is skipped (`terminated`); returns them. */
  terminatePending(): number[] {
    const skipped: number[] = [];
    for (let i = 0; i < this.size; i++) {
      if (this.status[i] !== "pending") continue;
      this.#settle(i, "skipped");
      this.records[i]!.skipReason = "terminated";
      skipped.push(i);
    }
    return skipped;
  }

  /** A step that was running ends `cancelled`, or `skipped` (`terminated`) when a termination stopped it. */
  cancelRunning(i: number, error: WavepoolError, terminated = false): void {
    if (!terminated) return this.#settle(i, "cancelled", error);
    this.#settle(i, "skipped");
    this.records[i]!.skipReason = "terminated";
  }

  #settle(i: number, status: StepStatus, error?: WavepoolError): void {
    this.status[i] = status;
    const record = this.records[i]!;
    record.status = status;
    if (error) record.error = errorInfo(error);
    this.settled++;
    const level = this.graph.level[i]!;
    this.#unsettled[level]!--;
    while (this.#unsettled[this.openLevel] === 0) this.openLevel++;
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

  /** What `execute` resolves with. */
  result(meta: {
    runId: string; stop: Stop; startedAt: number; endedAt: number; stateError: StateError | undefined; terminationReason?: string | undefined;
  }): ParallelOrchestrationResult {
    const success = this.records.every((r) => r.status === "completed" || (r.status === "skipped" && (r.skipReason === "condition" || r.skipReason === "terminated")));
    const cancelled = meta.stop === "cancelled";
    const terminated = meta.stop === "terminated";
    const paused = !cancelled && !terminated && this.pendingApprovals.length > 0;
    const result: ParallelOrchestrationResult = {
      runId: meta.runId, success, cancelled, paused, pendingApprovals: this.pendingApprovals,
      context: this.context, waves: this.graph.waves.map((w) => [...w]), steps: this.records,
      stepsExecuted: this.executed, stepsSkipped: this.records.filter((r) => r.status === "skipped").length,
      terminated, redesigns: [], startedAt: meta.startedAt, endedAt: meta.endedAt,
      durationMs: meta.endedAt - meta.startedAt,
    };
    if (terminated && meta.terminationReason !== undefined) result.terminationReason = meta.terminationReason;
    if (!success && this.firstError) result.error = this.firstError;
    if (paused) result.pauseReason = this.pendingApprovals.map((p) => `step ${p.stepId} waits for approval: ${p.message}`).join("; ");
    if (meta.stateError) result.stateError = meta.stateError;
    return result;
  }
}
