// The iterations of `repeat` steps: what each iteration's template reads (`previous`, the last
// iteration's output, and `iteration`, from 1), and after each one whether `until` holds, with the
// step's own output key holding that iteration's output. A step runs again while it does not, up to
// `maxIterations`. Retries count within an iteration: each iteration gets the step's full tries.
// A resumed run goes on from the iterations its saved state finished (./restored-steps.ts).
import { OutputNotCloneableError, StrategyValidationError } from "../errors.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import { expressionScope } from "../graph/expression.js";
import { toWire, type WireValue } from "../pool/wire-value.js";
import type { Local, Locals } from "./intent.js";
import type { RestoredStep } from "./restored-steps.js";

interface Iterating {
  /** The iteration running or about to (1, 2, ...). */
  iteration: number;
  /** The step's attempt number that began it; 0 until it is dispatched. */
  firstAttempt: number;
  previous: Local;
  /** `previous` came from a saved state: its wire form is made when the next iteration reads it. */
  saved?: true;
}

/** What an iteration's end decides: run `again`, or the step is done (`exhausted`: without `until` holding). */
export interface IterationEnd {
  again: boolean;
  iteration: number;
  exhausted: boolean;
}

const NOTHING: Local = { value: undefined, wire: undefined };

export class Repeats {
  readonly #graph: DependencyGraph;
  readonly #valueOf: (key: string) => unknown;
  readonly #steps = new Map<number, Iterating>();

  /** `valueOf`: a context value by key. */
  constructor(graph: DependencyGraph, valueOf: (key: string) => unknown) {
    this.#graph = graph;
    this.#valueOf = valueOf;
  }

  /** Whether step `i` repeats. */
  repeats(i: number): boolean {
    return this.#graph.dynamic[i]?.until !== undefined;
  }

  /**
   * Repeat steps a saved state left between iterations go on at the next one, reading the last
   * finished iteration's output as `previous`; `until` is not evaluated again for those done.
   */
  resume(steps: readonly RestoredStep[]): void {
    for (const { i, record, output } of steps) {
      this.#steps.set(i, { iteration: record.iterations! + 1, firstAttempt: 0, previous: { value: output, wire: undefined }, saved: true });
    }
  }

  /**
   * Step `i` (a repeat step) starts attempt `attempt`: the locals its template reads. Throws
   * `OutputNotCloneableError` if `previous`, from a saved state, cannot be sent to a worker.
   */
  begin(i: number, attempt: number): Locals {
    const state = this.#of(i);
    if (state.saved === true) {
      state.previous = { value: state.previous.value, wire: this.#wireOf(i, state) };
      delete state.saved;
    }
    if (state.firstAttempt === 0) state.firstAttempt = attempt;
    return { previous: state.previous, iteration: { value: state.iteration, wire: state.iteration } };
  }

  /** The iteration step `i` is in (from its first dispatch until it completes), for a repeat step; undefined for others. */
  iterationOf(i: number): number | undefined {
    return this.#steps.get(i)?.iteration;
  }

  /** How many tries attempt `attempt` of step `i` is within its iteration (the attempt itself for other steps). */
  tries(i: number, attempt: number): number {
    const state = this.#steps.get(i);
    return state === undefined ? attempt : attempt - state.firstAttempt + 1;
  }

  /**
   * An iteration of step `i` completed with `output` (`wire`, as it crossed): `until` decides.
   * Throws `StrategyValidationError` (path `steps[i].repeat.until`) if evaluating it fails.
   */
  ended(i: number, output: unknown, wire: WireValue): IterationEnd {
    const state = this.#of(i);
    const step = this.#graph.steps[i]!;
    const until = this.#graph.dynamic[i]!.until!;
    const own = (key: string): unknown => (key === step.outputKey ? output : this.#valueOf(key));
    let holds: boolean;
    try {
      holds = until.test(expressionScope(until.reads, this.#graph.contextKey, own, { previous: state.previous.value, iteration: state.iteration }));
    } catch (cause) {
      throw new StrategyValidationError(
        `the until expression of step ${step.stepId} (${until.text}) failed to evaluate after iteration ${state.iteration}: ${(cause as Error)?.message ?? String(cause)}`,
        { path: `steps[${this.#graph.indexOf.get(step.stepId) ?? i}].repeat.until`, stepId: step.stepId, agent: step.assignedAgent, cause },
      );
    }
    const iteration = state.iteration;
    const exhausted = !holds && iteration >= step.repeat!.maxIterations;
    if (holds || exhausted) {
      this.#steps.delete(i);
      return { again: false, iteration, exhausted };
    }
    state.iteration++;
    state.firstAttempt = 0;
    state.previous = { value: output, wire };
    return { again: true, iteration, exhausted: false };
  }

  #wireOf(i: number, state: Iterating): WireValue {
    try {
      return toWire(state.previous.value);
    } catch (cause) {
      const step = this.#graph.steps[i]!;
      throw new OutputNotCloneableError(
        `step ${step.stepId} (agent ${step.assignedAgent}) reads previous, the output of its iteration ${state.iteration - 1} in the saved state, ` +
          `which cannot be sent to a worker thread (${(cause as Error)?.message ?? String(cause)}); resume from the state file, or the state readStateFile read from it`,
        { stepId: step.stepId, agent: step.assignedAgent, path: "previous", cause },
      );
    }
  }

  #of(i: number): Iterating {
    let state = this.#steps.get(i);
    if (state === undefined) this.#steps.set(i, (state = { iteration: 1, firstAttempt: 0, previous: NOTHING }));
    return state;
  }
}
