// Reads the Standard Task Graph Set (Kasahara Lab, Waseda) into StrategyMaps. Benchmark-only: the
// library knows nothing of this format. A line is `id  cost  npred  pred...`; task 0 (the dummy
// entry) is left out of these copies, so predecessor 0 means "none"; the last task is the dummy
// exit (cost 0); lines starting with `#` describe how the graph was generated.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { StrategyMap, StrategyStep } from "wavepool";

export interface StgTask {
  id: number;
  cost: number;
  preds: number[];
}

export interface StgGraph {
  name: string;
  tasks: StgTask[];
  /** The `CP Length` the file's comments state, if any. */
  statedCriticalPath?: number;
}

/** How a step learns of its predecessors: by reading their outputs in its template, or by `dependsOn`. */
export type EdgeStyle = "templates" | "dependsOn";

/** Parses the text of a .stg file; throws naming the file and line of anything malformed. */
export function parseStg(text: string, name = "graph.stg"): StgGraph {
  const tasks: StgTask[] = [];
  let statedCriticalPath: number | undefined;
  text.split("\n").forEach((raw, k) => {
    const line = raw.trim();
    const where = `${name}:${k + 1}`;
    if (line.startsWith("#")) {
      const cp = /CP Length\s*:\s*(\d+)/.exec(line);
      if (cp) statedCriticalPath = Number(cp[1]);
      return;
    }
    if (line === "") return;
    const fields = line.split(/\s+/).map(Number);
    if (fields.some((f) => !Number.isInteger(f) || f < 0)) throw new SyntaxError(`${where}: expected non-negative integers, got ${JSON.stringify(line)}`);
    const [id, cost, npred, ...preds] = fields as [number, number, number, ...number[]];
    if (npred === undefined || preds.length !== npred) throw new SyntaxError(`${where}: task ${id} announces ${npred} predecessors but lists ${preds.length}`);
    if (id !== tasks.length + 1) throw new SyntaxError(`${where}: expected task ${tasks.length + 1}, got ${id} (tasks must be numbered 1, 2, ... in order)`);
    const real = preds.filter((p) => p !== 0);
    const late = real.find((p) => p >= id);
    if (late !== undefined) throw new SyntaxError(`${where}: task ${id} has predecessor ${late}, which does not come before it`);
    tasks.push({ id, cost, preds: real });
  });
  if (tasks.length === 0) throw new SyntaxError(`${name}: no tasks`);
  return statedCriticalPath === undefined ? { name, tasks } : { name, tasks, statedCriticalPath };
}

/**
 * A StrategyMap of the graph: step `t<id>` (output key `t<id>`) runs agent "Busy" with the intent
 * `work <cost>` followed by its predecessors' outputs (`{{ t3 }} {{ t7 }}`), or with `dependsOn`.
 * The step's `cost` option is the task's processing time; the dummy exit keeps its cost 0.
 */
export function stgStrategy(graph: StgGraph, edges: EdgeStyle = "templates", agent = "Busy"): StrategyMap {
  const strategy = new StrategyMap(`STG ${graph.name}`);
  for (const { id, cost, preds } of graph.tasks) {
    const reads = edges === "templates" && preds.length > 0 ? ` | ${preds.map((p) => `{{ t${p} }}`).join(" ")}` : "";
    const options = edges === "dependsOn" ? { cost, dependsOn: preds.map((p) => `t${p}`) } : { cost };
    strategy.addStep(new StrategyStep(`t${id}`, `STG task ${id}`, agent, `work ${cost}${reads}`, `t${id}`, options));
  }
  return strategy;
}

/**
 * Where the set is: $STG_DIR, else the copy in the source tree, benchmarks/stg (this file runs from
 * dist/benchmarks/stg, and tsc copies no data files).
 */
export function stgDir(): string {
  return process.env.STG_DIR ?? fileURLToPath(new URL("../../../benchmarks/stg/", import.meta.url));
}

export interface StgSet {
  dir: string;
  /** Processor counts with a known optimum, by graph size ("50", "100"). */
  processors: Record<string, number[]>;
  graphs: { size: string; file: string; graph: StgGraph; optimal: number[] }[];
}

/** Every graph that optimal.json has an optimum for, sizes in ascending order. */
export function loadStgSet(dir = stgDir()): StgSet {
  let json: { processors: Record<string, number[]>; optimal: Record<string, Record<string, number[]>> };
  try {
    json = JSON.parse(readFileSync(join(dir, "optimal.json"), "utf8")) as typeof json;
  } catch (cause) {
    throw new Error(`cannot read the Standard Task Graph Set at ${dir} (optimal.json); set STG_DIR to its folder`, { cause });
  }
  const graphs: StgSet["graphs"] = [];
  for (const size of Object.keys(json.optimal).sort((a, b) => Number(a) - Number(b))) {
    const files = readdirSync(join(dir, size)).filter((f) => f.endsWith(".stg")).sort();
    for (const file of files) {
      const optimal = json.optimal[size]?.[file];
      if (optimal === undefined) continue;
      graphs.push({ size, file, graph: parseStg(readFileSync(join(dir, size, file), "utf8"), `${size}/${file}`), optimal });
    }
  }
  return { dir, processors: json.processors, graphs };
}
