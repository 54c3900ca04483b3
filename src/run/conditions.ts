// What decides, on the main thread, whether a step runs and whether the run goes on: a step's
// `when`, evaluated once it is ready (everything it reads exists), and the strategy's terminations,
// each evaluated once, as soon as the steps whose outputs it reads have completed.
import { StrategyValidationError } from "../errors.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import { expressionScope } from "../graph/expression.js";
import { renderTemplate } from "../graph/template.js";
import type { StepStatus } from "./result.js";

/** A termination that holds: which one (`terminate[index]`) and its rendered reason. */
export interface Fired {
  index: number;
  reason: string | undefined;
}

export class Conditions {
  readonly #graph: DependencyGraph;
  readonly #valueOf: (key: string) => unknown;
  /** Per termination, how many of the steps it reads have not completed yet; -1 once evaluated. */
  readonly #waiting: Int32Array;
  /** Per step, the terminations that read its output. */
  readonly #readers = new Map<number, number[]>();

  /** `valueOf`: a context value by key (undefined when absent). */
  constructor(graph: DependencyGraph, valueOf: (key: string) => unknown) {
    this.#graph = graph;
    this.#valueOf = valueOf;
    this.#waiting = new Int32Array(graph.terminations.length);
    graph.terminations.forEach((t, k) => {
      for (const d of t.deps) {
        const readers = this.#readers.get(d);
        if (readers === undefined) this.#readers.set(d, [k]);
        else readers.push(k);
      }
    });
  }

  /**
   * Step `i` is ready: whether its `when` holds (true for a step without one). Throws
   * `StrategyValidationError` (path `steps[i].when`) if evaluating it fails.
   */
  admits(i: number): boolean {
    const when = this.#graph.dynamic[i]?.when;
    if (when === undefined) return true;
    try {
      return when.test(expressionScope(when.reads, this.#graph.contextKey, this.#valueOf));
    } catch (cause) {
      const step = this.#graph.steps[i]!;
      throw new StrategyValidationError(
        `the when expression of step ${step.stepId} (${when.text}) failed to evaluate: ${(cause as Error)?.message ?? String(cause)}`,
        { path: `steps[${i}].when`, stepId: step.stepId, agent: step.assignedAgent, cause },
      );
    }
  }

  /**
   * The run starts with `status` (steps restored from a saved state are completed): evaluates the
   * terminations that wait for nothing more; the first that holds, if any.
   */
  start(status: readonly StepStatus[]): Fired | undefined {
    this.#graph.terminations.forEach((t, k) => {
      this.#waiting[k] = t.deps.filter((d) => status[d] !== "completed").length;
    });
    for (let k = 0; k < this.#waiting.length; k++) {
      if (this.#waiting[k] === 0) {
        const fired = this.#evaluate(k);
        if (fired !== undefined) return fired;
      }
    }
    return undefined;
  }

  /** Step `i` completed: evaluates the terminations that waited for it last; the first that holds, if any. */
  completed(i: number): Fired | undefined {
    const readers = this.#readers.get(i);
    if (readers === undefined) return undefined;
    for (const k of readers) {
      if (this.#waiting[k]! > 0 && --this.#waiting[k]! === 0) {
        const fired = this.#evaluate(k);
        if (fired !== undefined) return fired;
      }
    }
    return undefined;
  }

  /** Evaluates termination `k` once. Throws `StrategyValidationError` (path `terminate[k].when`) if that fails. */
  #evaluate(k: number): Fired | undefined {
    this.#waiting[k] = -1;
    const t = this.#graph.terminations[k]!;
    let holds: boolean;
    try {
      holds = t.when.test(expressionScope(t.when.reads, this.#graph.contextKey, this.#valueOf));
    } catch (cause) {
      throw new StrategyValidationError(
        `the when expression of terminate[${k}] (${t.when.text}) failed to evaluate: ${(cause as Error)?.message ?? String(cause)}`,
        { path: `terminate[${k}].when`, cause },
      );
    }
    if (!holds) return undefined;
    if (t.reason === undefined) return { index: k, reason: undefined };
    try {
      return { index: k, reason: renderTemplate(t.reason, expressionScope(t.reasonReads, this.#graph.contextKey, this.#valueOf)) };
    } catch (cause) {
      // The run ends either way: the reason says why it could not be rendered.
      return { index: k, reason: `${t.reason} (could not be rendered: ${(cause as Error)?.message ?? String(cause)})` };
    }
  }
}
