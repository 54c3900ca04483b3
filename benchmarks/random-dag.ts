// Random DAGs for the scale benchmark: step i reads up to `edges` distinct earlier steps, chosen
// uniformly with a seeded generator, so that every run builds the same graph.
import { StrategyMap, StrategyStep } from "wavepool";
import type { EdgeStyle } from "./stg/read-stg.js";

/** mulberry32: a small, fast, seeded PRNG; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomDag {
  /** Predecessors of each step, by index (all lower than the step's own). */
  preds: number[][];
  /** Cost of each step, 1..10. */
  costs: number[];
}

export function randomDag(n: number, edges = 3, seed = 42): RandomDag {
  const random = seededRandom(seed);
  const preds: number[][] = [];
  const costs: number[] = [];
  for (let i = 0; i < n; i++) {
    const picked = new Set<number>();
    const want = Math.min(edges, i);
    while (picked.size < want) picked.add(Math.floor(random() * i));
    preds.push([...picked].sort((a, b) => a - b));
    costs.push(1 + Math.floor(random() * 10));
  }
  return { preds, costs };
}

/** The DAG as a strategy of `agent` steps `s<i>` (output key `s<i>`), edges as template reads or `dependsOn`. */
export function randomDagStrategy(dag: RandomDag, edges: EdgeStyle, agent = "Noop"): StrategyMap {
  const strategy = new StrategyMap(`random DAG of ${dag.preds.length} steps`);
  dag.preds.forEach((preds, i) => {
    const cost = dag.costs[i]!;
    const intent = edges === "templates" ? `step ${i}${preds.map((p) => ` {{ s${p} }}`).join("")}` : `step ${i}`;
    const options = edges === "dependsOn" ? { cost, dependsOn: preds.map((p) => `s${p}`) } : { cost };
    strategy.addStep(new StrategyStep(`s${i}`, "", agent, intent, `s${i}`, options));
  });
  return strategy;
}
