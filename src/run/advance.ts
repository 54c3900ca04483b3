// What a run does once a unit settled or ended an attempt: dependents that became ready are admitted
// (a `when` may skip them, a `forEach` expands into items), a retry waits for its backoff, a fan-out
// whose items all settled settles in turn, terminations that read a completed step are evaluated,
// and a step that failed for good asks `onStepFailed` or fails the run fast.
import type { ReadyQueue } from "../schedule/ready-queue.js";
import type { Conditions } from "./conditions.js";
import type { Gate } from "./gate.js";
import type { RedesignDesk } from "./redesign-desk.js";
import type { RetryTimers } from "./retry-timers.js";
import type { RunReporter } from "./run-reporter.js";
import type { RunState } from "./run-state.js";
import type { RunStop } from "./run-stop.js";
import type { Settled, Settlement } from "./settlement.js";
import type { Units } from "./units.js";

/** What advancing reaches in the run. */
export interface AdvanceParts {
  state: RunState;
  units: Units;
  gate: Gate;
  settle: Settlement;
  conditions: Conditions;
  ready: ReadyQueue;
  retries: RetryTimers;
  report: RunReporter;
  stops: RunStop;
  desk: RedesignDesk;
  failFast: boolean;
  /** The loop goes on: what is ready is dispatched. */
  pump(): void;
  /** Runs a callback of the loop from a timer, a bug in it cancelling the run. */
  guard(fn: () => void): void;
}

export class Advance {
  readonly #p: AdvanceParts;

  constructor(parts: AdvanceParts) {
    this.#p = parts;
  }

  /** Unit `i` settled (or ended an attempt) as `settled` says. */
  then(i: number, settled: Settled): void {
    const { state, units, gate, ready, stops } = this.#p;
    if (settled.completed && i < units.steps) this.#completedStep(i);
    // A listener or a termination may have stopped the run: its pending steps are settled, not ready.
    if (settled.ready !== undefined) for (const d of settled.ready) if (state.status[d] === "pending") this.admit(d);
    if (settled.again) ready.push(i);
    if (units.isItem(i) && settled.retryAfterMs === undefined) for (const u of gate.itemSettled(i, stops.stop !== undefined)) ready.push(u);
    this.parentsSettled();
    if (settled.retryAfterMs !== undefined) {
      this.#p.retries.wait(i, settled.retryAfterMs, () => this.#p.guard(() => {
        if (stops.stop !== undefined) return;
        ready.push(i);
        this.#p.pump();
      }));
    }
    if (settled.failed) this.#askRedesign(i);
    if (settled.failFast !== undefined) stops.cancel(settled.failFast);
  }

  /** Step `i` is ready: it (or its items) waits for a thread, unless its `when` is false (it and its dependents are skipped). */
  admit(i: number): void {
    const { gate, settle, state, report, units } = this.#p;
    const admission = gate.admit(i);
    if (admission.kind === "failed") return this.then(i, settle.failedBeforeStart(i, state.begin(i), admission.error));
    if (admission.kind === "units") {
      if (admission.items !== undefined) {
        report.waveStart(units.level[i]!);
        report.stepStart(i, 0, { items: admission.items });
      }
      for (const u of admission.units) this.#p.ready.push(u);
      return this.parentsSettled();
    }
    settle.skippedByCondition(admission.skipped);
  }

  /** Fan-out steps whose items have all settled: recorded, reported, and their dependents admitted or skipped. */
  parentsSettled(): void {
    for (const p of this.#p.settle.parentsSettled()) {
      if (p.status === "completed") {
        this.#completedStep(p.step);
        for (const d of p.ready) if (this.#p.state.status[d] === "pending") this.admit(d);
      } else if (p.status === "failed") {
        this.#askRedesign(p.step);
        if (this.#p.failFast) this.#p.stops.cancel(`step ${this.#p.state.records[p.step]!.stepId} failed and fail-fast is set`);
      }
    }
  }

  /** Step `i` completed: the terminations waiting for it are evaluated. */
  #completedStep(i: number): void {
    const fired = this.#p.conditions.completed(i);
    if (fired !== undefined) this.#p.stops.terminate(fired);
  }

  /** Step `i` failed for good: `onStepFailed` may answer with a strategy to go on with. */
  #askRedesign(i: number): void {
    if (this.#p.stops.stop === undefined) this.#p.desk.failed(this.#p.state.records[i]!);
  }
}
