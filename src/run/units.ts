// What a run schedules: its steps, and the items of its `forEach` steps once their lists are known.
// Each is a unit: steps are units 0..n-1 (their indexes), and each fan-out's items get the next
// numbers, in item order, when the list is evaluated. Everything a run keeps per unit (status,
// record, flight) is indexed by unit; what a unit runs (agent, template, settings) is its step's.
import type { DependencyGraph } from "../graph/dependency-graph.js";

export class Units {
  readonly #graph: DependencyGraph;
  /** The step of each unit (a step's own index for a step). */
  readonly stepOf: number[];
  /** The dependency level of each unit (its step's). */
  readonly level: number[];
  /** Per item unit (from `steps` on), its index in its step's list. */
  readonly #item: number[] = [];

  constructor(graph: DependencyGraph) {
    this.#graph = graph;
    this.stepOf = graph.steps.map((_, i) => i);
    this.level = [...graph.level];
  }

  /** How many units there are so far. */
  get size(): number {
    return this.stepOf.length;
  }

  /** How many steps there are (units below this are steps). */
  get steps(): number {
    return this.#graph.steps.length;
  }

  /** Whether unit `u` is an item of a fan-out. */
  isItem(u: number): boolean {
    return u >= this.#graph.steps.length;
  }

  /** The index of item unit `u` in its step's list (-1 for a step). */
  itemOf(u: number): number {
    return u < this.#graph.steps.length ? -1 : this.#item[u - this.#graph.steps.length]!;
  }

  /** The id of unit `u` in records and events: the step's id, or `"<stepId>[<item>]"`. */
  idOf(u: number): string {
    const step = this.#graph.steps[this.stepOf[u]!]!;
    return u < this.#graph.steps.length ? step.stepId : `${step.stepId}[${this.itemOf(u)}]`;
  }

  /** Adds `count` items of step `i`; returns the unit of the first (the others follow it). */
  addItems(i: number, count: number): number {
    const base = this.stepOf.length;
    const level = this.#graph.level[i]!;
    for (let k = 0; k < count; k++) {
      this.stepOf.push(i);
      this.level.push(level);
      this.#item.push(k);
    }
    return base;
  }
}
