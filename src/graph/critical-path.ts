// Remaining critical path ("bottom level") of every step: its own cost plus the costliest chain after it.
// This is the priority of eager scheduling and the basis of `plan()`.
import type { DependencyGraph } from "./dependency-graph.js";

/** Bottom level of each step under `cost`: cost(i) + max bottom level of its dependents. */
export function bottomLevels(graph: DependencyGraph, cost: (index: number) => number): Float64Array {
  const bl = new Float64Array(graph.steps.length);
  for (let k = graph.order.length - 1; k >= 0; k--) {
    const i = graph.order[k]!;
    let after = 0;
    for (const d of graph.dependents[i]!) if (bl[d]! > after) after = bl[d]!;
    bl[i] = cost(i) + after;
  }
  return bl;
}

/** The costliest chain of the graph: step ids from a source to a sink, and its total cost. */
export function criticalPath(graph: DependencyGraph, bl: Float64Array): { path: string[]; cost: number } {
  let at = -1;
  for (let i = 0; i < bl.length; i++) if (graph.deps[i]!.length === 0 && (at < 0 || bl[i]! > bl[at]!)) at = i;
  const path: string[] = [];
  const cost = at < 0 ? 0 : bl[at]!;
  while (at >= 0) {
    path.push(graph.steps[at]!.stepId);
    let next = -1;
    for (const d of graph.dependents[at]!) if (next < 0 || bl[d]! > bl[next]!) next = d;
    at = next;
  }
  return { path, cost };
}
