// Random DAGs for the scale benchmark: step i reads up to `edges` distinct earlier steps, chosen
// uniformly with a seeded generator, so that every run builds the same graph.
import { StrategyMap, StrategyStep, type StrategyStepOptions } from "wavepool";
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

/** The arguments of one step's `new StrategyStep`, made before anything is timed. */
export interface StepRow {
  stepId: string;
  intent: string;
  outputKey: string;
  options: StrategyStepOptions;
}

/** The DAG as steps `s<i>` (output key `s<i>`), edges as template reads or `dependsOn`. */
export function randomDagRows(dag: RandomDag, edges: EdgeStyle): StepRow[] {
  const rows = dag.preds.map((preds, i): StepRow => {
    const cost = dag.costs[i]!;
    const intent = edges === "templates" ? `step ${i}${preds.map((p) => ` {{ s${p} }}`).join("")}` : `step ${i}`;
    const options = edges === "dependsOn" ? { cost, dependsOn: preds.map((p) => `s${p}`) } : { cost };
    return { stepId: `s${i}`, intent, outputKey: `s${i}`, options };
  });
  // Flat strings, as a file or a generator hands them over: flattening the concatenations above
  // is the benchmark's work, not the library's.
  return JSON.parse(JSON.stringify(rows)) as StepRow[];
}

/** `new StrategyStep` + `addStep` for every row: what building a strategy costs the library. */
export function strategyFromRows(rows: readonly StepRow[], agent = "Noop"): StrategyMap {
  const strategy = new StrategyMap(`random DAG of ${rows.length} steps`);
  for (const { stepId, intent, outputKey, options } of rows) strategy.addStep(new StrategyStep(stepId, "", agent, intent, outputKey, options));
  return strategy;
}

/** The DAG as a strategy of `agent` steps `s<i>` (output key `s<i>`), edges as template reads or `dependsOn`. */
export function randomDagStrategy(dag: RandomDag, edges: EdgeStyle, agent = "Noop"): StrategyMap {
  return strategyFromRows(randomDagRows(dag, edges), agent);
}
