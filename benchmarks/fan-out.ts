// A fan-out against plain steps: one forEach step over a list of N items against N independent
// steps, same no-op agent, same orchestrator settings, interleaved rounds in one process; both
// against raw piscina.run with every task queued. The bar: a 10,000-item fan-out costs
// about what 10,000 steps cost.
// Run: npm run build && node dist/benchmarks/fan-out.js
import { Piscina } from "piscina";
import { ParallelOrchestrator, ParallelOrchestratorConfig, StrategyMap, StrategyStep } from "wavepool";
import { benchOptions, type BenchOptions } from "./bench-options.js";
import { fixed, isMain, printTables, type Table } from "./report.js";
import { interleave, median } from "./stats.js";

const NOOP_AGENT = new URL("./agents/noop.js", import.meta.url);
const RAW_WORKER = new URL("./workers/raw-noop.js", import.meta.url).href;

/** `n` independent steps, each rendering one variable (the input `v`) as an item renders `{{ item }}`. */
function steps(n: number): StrategyMap {
  const strategy = new StrategyMap(`${n} independent no-op steps reading an input`);
  for (let i = 0; i < n; i++) strategy.addStep(new StrategyStep(`s${i}`, "", "Noop", "{{ v }}", `out${i}`));
  return strategy;
}

/** One forEach step over the input `items` (a list of `n` numbers). */
function fanOut(): StrategyMap {
  return new StrategyMap("a fan-out of no-op items").addStep(new StrategyStep("each", "", "Noop", "{{ item }}", "out", { forEach: "items" }));
}

async function timed(orchestrator: ParallelOrchestrator, inputs: Record<string, unknown>): Promise<number> {
  const t0 = performance.now();
  const result = await orchestrator.execute("fan-out", { inputs });
  const ms = performance.now() - t0;
  if (!result.success) throw new Error(`the benchmark run failed: ${JSON.stringify(result.error)}`);
  return ms;
}

async function raw(pool: Piscina, n: number): Promise<number> {
  const t0 = performance.now();
  const runs: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) runs.push(pool.run(i));
  await Promise.all(runs);
  return performance.now() - t0;
}

export async function fanOutBench(options: BenchOptions = benchOptions()): Promise<Table[]> {
  const sizes = options.quick ? [1000] : [1000, 10_000];
  const rounds = options.rounds(7, 2);
  const { threads } = options;
  const rows: Record<string, string>[] = [];
  const pool = new Piscina({ filename: RAW_WORKER, minThreads: threads, maxThreads: threads, idleTimeout: Infinity, concurrentTasksPerWorker: 1 });
  try {
    for (const n of sizes) {
      const config = new ParallelOrchestratorConfig().withThreads(threads);
      const plain = new ParallelOrchestrator(steps(n), config).addAgent("Noop", NOOP_AGENT);
      const items = new ParallelOrchestrator(fanOut(), config).addAgent("Noop", NOOP_AGENT);
      const list = { items: Array.from({ length: n }, (_, k) => k) };
      try {
        const variants = { raw: () => raw(pool, n), steps: () => timed(plain, { v: 1 }), items: () => timed(items, list) };
        await interleave(2, variants);
        const samples = await interleave(rounds, variants);
        const us = (k: keyof typeof samples): number => (median(samples[k]) * 1000) / n;
        rows.push({
          n: n.toLocaleString("en-US"),
          raw: fixed(us("raw"), 1),
          steps: `${fixed(us("steps"), 1)} (${fixed(us("steps") / us("raw"), 2)}×)`,
          items: `${fixed(us("items"), 1)} (${fixed(us("items") / us("raw"), 2)}×)`,
          ratio: `${fixed(us("items") / us("steps"), 2)}×`,
        });
      } finally {
        await Promise.all([plain.close(), items.close()]);
      }
    }
  } finally {
    await pool.destroy();
  }
  return [{
    title: `forEach: one step over N items against N steps, no-op agent, ${threads} threads, median of ${rounds} interleaved rounds`,
    columns: [
      { key: "n", label: "N", align: "right" },
      { key: "raw", label: "raw piscina.run µs/task", align: "right" },
      { key: "steps", label: "N steps µs/step (× raw)", align: "right" },
      { key: "items", label: "forEach µs/item (× raw)", align: "right" },
      { key: "ratio", label: "items ÷ steps", align: "right" },
    ],
    rows,
    notes: [
      "Target: a fan-out's items cost about what as many steps cost (items ÷ steps ≈ 1).",
      "Each item has its record, its events and its output under `out[i]`; the list is an input here (a step's output works the same). Each step renders one variable (`{{ v }}`, an input) as each item renders `{{ item }}`, so both send their intent and one input. Two warm-up rounds are not counted.",
    ],
  }];
}

if (isMain(import.meta.url)) printTables(await fanOutBench());
