// Per-step overhead: 2000 independent no-op steps through ParallelOrchestrator against raw
// piscina.run of a no-op worker, same thread count, same process, warmed up, interleaved rounds.
// Run: npm run build && node dist/benchmarks/overhead.js
import { Piscina } from "piscina";
import { ParallelOrchestrator, ParallelOrchestratorConfig, StrategyMap, StrategyStep } from "wavepool";
import { benchOptions, type BenchOptions } from "./bench-options.js";
import { fixed, isMain, printTables, type Table } from "./report.js";
import { best, interleave, median } from "./stats.js";

const NOOP_AGENT = new URL("./agents/noop.js", import.meta.url);
const RAW_WORKER = new URL("./workers/raw-noop.js", import.meta.url).href;

/** `n` independent steps of the no-op agent. */
export function independentNoops(n: number): StrategyMap {
  const strategy = new StrategyMap(`${n} independent no-op steps`);
  for (let i = 0; i < n; i++) strategy.addStep(new StrategyStep(`s${i}`, "", "Noop", "x", `out${i}`));
  return strategy;
}

/** A raw Piscina pool set up like wavepool's own: min = max threads, one task per worker. */
function rawPool(threads: number): Piscina {
  return new Piscina({ filename: RAW_WORKER, minThreads: threads, maxThreads: threads, idleTimeout: Infinity, concurrentTasksPerWorker: 1 });
}

/** Every task handed to Piscina at once (its queue does the waiting): what a raw-Piscina user writes. */
async function rawAllAtOnce(pool: Piscina, n: number): Promise<number> {
  const t0 = performance.now();
  const runs: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) runs.push(pool.run(i));
  await Promise.all(runs);
  return performance.now() - t0;
}

/** At most `limit` tasks in flight, the next one sent when one ends: what the orchestrator does by default. */
async function rawLimited(pool: Piscina, n: number, limit: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < n) await pool.run(next++);
  };
  await Promise.all(Array.from({ length: limit }, lane));
  return performance.now() - t0;
}

async function orchestrated(orchestrator: ParallelOrchestrator): Promise<number> {
  const t0 = performance.now();
  const result = await orchestrator.execute("overhead");
  const ms = performance.now() - t0;
  if (!result.success) throw new Error(`the no-op run failed: ${JSON.stringify(result.steps.find((s) => s.status !== "completed"))}`);
  return ms;
}

export async function overhead(options: BenchOptions = benchOptions()): Promise<Table[]> {
  const steps = 2000;
  const { threads } = options;
  const rounds = options.rounds(25, 5);
  const strategy = independentNoops(steps);
  const config = new ParallelOrchestratorConfig().withThreads(threads);
  const eager = new ParallelOrchestrator(strategy, config).addAgent("Noop", NOOP_AGENT);
  const unlimited = new ParallelOrchestrator(strategy, config.withUnlimitedConcurrency()).addAgent("Noop", NOOP_AGENT);
  // One task waiting in Piscina per thread: the worker finds its next step without waiting for our round trip.
  const lookahead = new ParallelOrchestrator(strategy, config.withMaxConcurrentTasks(2 * threads)).addAgent("Noop", NOOP_AGENT);
  const pool = rawPool(threads);
  try {
    const variants = {
      rawAll: () => rawAllAtOnce(pool, steps),
      rawLimited: () => rawLimited(pool, steps, threads),
      eager: () => orchestrated(eager),
      unlimited: () => orchestrated(unlimited),
      lookahead: () => orchestrated(lookahead),
    };
    await interleave(2, variants); // warm-up: threads started, agents loaded, JIT done
    const samples = await interleave(rounds, variants);
    const us = (k: keyof typeof samples, f: (v: number[]) => number) => (f(samples[k]) * 1000) / steps;
    const base = us("rawAll", median);
    const baseLimited = us("rawLimited", median);
    const row = (variant: string, k: keyof typeof samples, against: number, againstName: string) => ({
      variant,
      median: fixed(us(k, median), 1),
      best: fixed(us(k, best), 1),
      ratio: fixed(us(k, median) / base, 2),
      fair: k === "rawAll" || k === "rawLimited" ? "–" : `${fixed(us(k, median) / against, 2)} (vs ${againstName})`,
    });
    return [{
      title: `Per-step overhead: ${steps} independent no-op steps, ${threads} threads, median of ${rounds} interleaved rounds`,
      columns: [
        { key: "variant", label: "variant" },
        { key: "median", label: "µs/step (median)", align: "right" },
        { key: "best", label: "µs/step (best)", align: "right" },
        { key: "ratio", label: "× raw Piscina, all at once", align: "right" },
        { key: "fair", label: "× raw Piscina, same concurrency", align: "right" },
      ],
      rows: [
        row("raw `piscina.run`, all tasks queued at once", "rawAll", base, "itself"),
        row(`raw \`piscina.run\`, ${threads} in flight`, "rawLimited", baseLimited, "itself"),
        row(`ParallelOrchestrator eager, concurrency ${threads} (default)`, "eager", baseLimited, `${threads} in flight`),
        row("ParallelOrchestrator eager, unlimited concurrency", "unlimited", base, "all at once"),
        row(`ParallelOrchestrator eager, maxConcurrentTasks ${2 * threads} (2 × threads)`, "lookahead", base, "all at once"),
      ],
      notes: [
        `Target: orchestrator ≤ 1.5× raw Piscina (goal 1.2×). Each round runs every variant (order rotated) on one run of ${steps} steps; 2 warm-up rounds are not counted.`,
        `"Same concurrency" compares the default orchestrator (it keeps at most ${threads} steps in Piscina and queues the rest itself) with raw Piscina kept at ${threads} in flight, and the unlimited one with raw Piscina given every task at once.`,
      ],
    }];
  } finally {
    await Promise.all([eager.close(), unlimited.close(), lookahead.close(), pool.destroy()]);
  }
}

if (isMain(import.meta.url)) printTables(await overhead());
