// How far a run's steps are from running: how many dependencies each step still waits for, and, for
// waves mode, how many steps of each level are still unsettled. Steps only (items of fan-outs are
// not in the graph); the run state (./run-state.ts) tells it what settles.
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { StepStatus } from "./result.js";

export class DependencyCounts {
  readonly #graph: DependencyGraph;
  readonly #waitingOn: Int32Array;
  readonly #unsettled: number[];
  /** waves mode: the lowest level that still has unsettled steps. */
  openLevel = 0;

  constructor(graph: DependencyGraph) {
    this.#graph = graph;
    this.#waitingOn = Int32Array.from(graph.deps, (d) => d.length);
    this.#unsettled = graph.waves.map((w) => w.length);
  }

  /** The steps that can start now: `pending` in `status`, with every dependency completed. */
  ready(status: readonly StepStatus[]): number[] {
    const ready: number[] = [];
    for (let i = 0; i < this.#waitingOn.length; i++) if (this.#waitingOn[i] === 0 && status[i] === "pending") ready.push(i);
    return ready;
  }

  /** Step `i` completed: the dependents, `pending` in `status`, whose last dependency it was. */
  completed(i: number, status: readonly StepStatus[]): number[] {
    const ready: number[] = [];
    for (const d of this.#graph.dependents[i]!) {
      if (--this.#waitingOn[d]! === 0 && status[d] === "pending") ready.push(d);
    }
    return ready;
  }

  /**
   * The steps, `pending` in `status`, that depend on step `i` directly or not: those its failure or
   * skip leaves without an input. Each once, nearest first along each path.
   */
  pendingDependents(i: number, status: readonly StepStatus[]): number[] {
    const found: number[] = [];
    const seen = new Set<number>();
    const stack = [...this.#graph.dependents[i]!];
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (status[d] !== "pending" || seen.has(d)) continue;
      seen.add(d);
      found.push(d);
      stack.push(...this.#graph.dependents[d]!);
    }
    return found;
  }

  /** Step `i` settled (however): its level may be done. */
  settled(i: number): void {
    this.#unsettled[this.#graph.level[i]!]!--;
    while (this.#unsettled[this.openLevel] === 0) this.openLevel++;
  }
}
