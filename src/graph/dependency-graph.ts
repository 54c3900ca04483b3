// The dependency graph of a strategy: edges from the variables templates read and from `dependsOn`,
// a topological order (or the cycle that prevents one) and the dependency levels ("waves").
import { CycleError, StrategyValidationError } from "../errors.js";
import type { StrategyStep } from "../strategy/strategy-step.js";
import { didYouMean } from "../suggest.js";
import { REPEAT_LOCALS } from "./locals.js";
import type { StepDynamics } from "./step-dynamics.js";
import { linkTerminations, type CompiledTermination, type GraphTermination } from "./termination.js";

export { checkInputs } from "./check-inputs.js";

/** A compiled strategy: steps by index, edges both ways, levels. Immutable once built. */
export interface DependencyGraph {
  readonly steps: readonly StrategyStep[];
  /**
   * The root variables each step's template reads from the context (see `templateReads`): the
   * names the run provides to a dynamic step (`item`, `index`, `previous`, `iteration`) are not
   * here but in `dynamic[i].locals`.
   */
  readonly reads: readonly (readonly string[])[];
  readonly indexOf: ReadonlyMap<string, number>;
  /** Direct predecessors of each step. */
  readonly deps: readonly (readonly number[])[];
  /** Direct successors of each step. */
  readonly dependents: readonly (readonly number[])[];
  /**
   * For each step, the variables its template and expressions read that no step produces (`task`
   * and run inputs), each once.
   */
  readonly externalReads: readonly (readonly string[])[];
  /**
   * By step index, the compiled `forEach`, `when` and `repeat.until` of a dynamic step; `undefined`
   * for a static step (the array may be shorter than `steps`, or have holes).
   */
  readonly dynamic: readonly (StepDynamics | undefined)[];
  /** The strategy's terminations, compiled, with the steps they wait for. */
  readonly terminations: readonly GraphTermination[];
  /** The context key a template variable reads: the output key of the step it names, or itself. */
  contextKey(variable: string): string;
  /** A topological order of step indexes. */
  readonly order: readonly number[];
  /** Dependency level of each step: 0 without dependencies, else 1 + the highest level it waits for. */
  readonly level: Readonly<Int32Array>;
  /** Step ids by level, in definition order. */
  readonly waves: string[][];
}

/**
 * Builds the graph from the steps, what their templates read from the context, and the step index
 * of each step id and of each output key (the strategy keeps both to refuse duplicates; the graph
 * keeps `indexOf`, so neither may change afterwards), with the compiled expressions of dynamic
 * steps (by step index) and the terminations. A step depends on the steps whose outputs its
 * template, `forEach`, `when` and `repeat.until` read, and on its `dependsOn`; `until` reading the
 * step's own output is no dependency (it reads each iteration's). Throws `CycleError` (also for a
 * `forEach` or `when` that reads the step's own output) or `StrategyValidationError` (unknown `dependsOn`).
 */
export function buildGraph(
  steps: readonly StrategyStep[],
  reads: readonly (readonly string[])[],
  indexOf: ReadonlyMap<string, number>,
  producer: ReadonlyMap<string, number>,
  dynamic: readonly (StepDynamics | undefined)[] = [],
  compiledTerminations: readonly CompiledTermination[] = [],
): DependencyGraph {
  const n = steps.length;
  // `{{ <stepId>_output }}` is the seed's alias of a step's output; an output key of that name wins.
  const producerOf = (variable: string): number | undefined =>
    producer.get(variable) ?? (variable.endsWith("_output") ? indexOf.get(variable.slice(0, -7)) : undefined);
  // Duplicate edges are dropped with a stamp per step rather than a Set per step: at 100,000 steps
  // the Sets were most of the garbage collector's work. Edge order: template reads, then dependsOn.
  // Edges are gathered in one scratch array and copied out at their exact size: an array grown by
  // `push` keeps room for 17 entries, and the graph is kept as long as its strategy.
  const stamp = new Int32Array(n).fill(-1);
  const deps: number[][] = [];
  const externalReads: string[][] = [];
  const none: never[] = [];
  const ds: number[] = [];
  const external: string[] = [];
  for (let i = 0; i < n; i++) {
    const step = steps[i]!;
    let edges = 0;
    let externals = 0;
    for (const variable of reads[i]!) {
      const from = producerOf(variable);
      if (from === undefined) {
        external[externals++] = variable;
      } else if (stamp[from] !== i) {
        stamp[from] = i;
        ds[edges++] = from;
      }
    }
    const dyn = dynamic[i];
    if (dyn !== undefined) {
      // Rare next to template reads: the same stamp, and externals kept once across the fields.
      for (const [field, expression] of [["forEach", dyn.forEach], ["when", dyn.when], ["repeat.until", dyn.until]] as const) {
        if (expression === undefined) continue;
        for (const variable of expression.reads) {
          const until = field === "repeat.until";
          if (until && REPEAT_LOCALS.includes(variable)) continue;
          const from = producerOf(variable);
          if (from === i) {
            if (until) continue;
            throw new CycleError([step.stepId, step.stepId], { path: `steps[${i}].${field}`, stepId: step.stepId, agent: step.assignedAgent });
          }
          if (from === undefined) {
            if (!external.slice(0, externals).includes(variable)) external[externals++] = variable;
          } else if (stamp[from] !== i) {
            stamp[from] = i;
            ds[edges++] = from;
          }
        }
      }
    }
    for (let k = 0; k < step.dependsOn.length; k++) {
      const from = indexOf.get(step.dependsOn[k]!);
      if (from === undefined) {
        const guess = didYouMean(step.dependsOn[k]!, indexOf.keys());
        throw new StrategyValidationError(
          `step ${step.stepId} depends on unknown step ${JSON.stringify(step.dependsOn[k])}; ` +
            (guess === undefined ? "name a step id of this strategy" : `did you mean ${JSON.stringify(guess)}?`),
          { path: `steps[${i}].dependsOn[${k}]`, stepId: step.stepId, agent: step.assignedAgent },
        );
      }
      if (stamp[from] !== i) {
        stamp[from] = i;
        ds[edges++] = from;
      }
    }
    deps.push(edges === 0 ? none : ds.slice(0, edges));
    externalReads.push(externals === 0 ? none : external.slice(0, externals));
  }
  // Dependents at their exact size too: counted first, then filled in index order.
  const fanOut = new Int32Array(n);
  for (const from of deps) for (const d of from) fanOut[d]!++;
  const dependents: number[][] = Array.from(fanOut, (count) => (count === 0 ? none : new Array<number>(count)));
  fanOut.fill(0);
  deps.forEach((from, i) => from.forEach((d) => (dependents[d]![fanOut[d]!++] = i)));

  // Kahn's algorithm in index order, so the order (and everything derived) is deterministic.
  const indegree = Int32Array.from(deps, (d) => d.length);
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) order.push(i);
  for (let head = 0; head < order.length; head++) {
    for (const d of dependents[order[head]!]!) if (--indegree[d]! === 0) order.push(d);
  }
  if (order.length < n) throw new CycleError(findCycle(steps, deps, indegree));

  const level = new Int32Array(n);
  for (const i of order) for (const d of deps[i]!) level[i] = Math.max(level[i]!, level[d]! + 1);
  const waves: string[][] = [];
  steps.forEach((s, i) => (waves[level[i]!] ??= []).push(s.stepId));
  const contextKey = (variable: string): string => {
    const from = producerOf(variable);
    return from === undefined ? variable : steps[from]!.outputKey;
  };
  const terminations = linkTerminations(compiledTerminations, producerOf);
  return { steps, reads, indexOf, deps, dependents, externalReads, dynamic, terminations, contextKey, order, level, waves };
}

/** Walks predecessors among the steps Kahn could not order until one repeats: that loop is a cycle. */
function findCycle(steps: readonly StrategyStep[], deps: number[][], indegree: Int32Array): string[] {
  const stuck = (i: number) => indegree[i]! > 0;
  let at = indegree.findIndex((d) => d > 0);
  const seenAt = new Map<number, number>();
  const walk: number[] = [];
  while (!seenAt.has(at)) {
    seenAt.set(at, walk.length);
    walk.push(at);
    at = deps[at]!.find(stuck)!;
  }
  const loop = walk.slice(seenAt.get(at)).reverse();
  return [...loop, loop[0]!].map((i) => steps[i]!.stepId);
}
