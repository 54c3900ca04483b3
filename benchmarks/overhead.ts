// Per-step overhead: 2000 independent no-op steps through ParallelOrchestrator against raw
// piscina.run of a no-op worker, same thread count, same process, warmed up, interleaved rounds.
// The orchestrator's steps are known to take next to nothing after the warm-up rounds, as they
// would be on any orchestrator that ran them before (src/pool/pool-balancer.ts).
// Run: npm run build && node dist/benchmarks/overhead.js
import { readFileSync } from "node:fs";
import { Piscina } from "piscina";
import { ParallelOrchestrator, ParallelOrchestratorConfig, StrategyMap, StrategyStep } from "wavepool";
import { benchOptions, type BenchOptions } from "./bench-options.js";
import { fixed, isMain, printTables, type Table } from "./report.js";
import { best, interleave, median } from "./stats.js";

const NOOP_AGENT = new URL("./agents/noop.js", import.meta.url);
const RAW_WORKER = new URL("./workers/raw-noop.js", import.meta.url).href;

/**
 * CPU time of the main thread so far (user + system), in clock ticks of 10 ms, where Linux tells it
 * (/proc), else undefined. On a shared machine it says what each variant costs the main thread, which
 * the wall time (the other threads of the machine take turns on its cores) does not.
 */
function mainThreadTicks(): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

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
  const pool = rawPool(threads);
  try {
    const ticks = { rawAll: 0, rawLimited: 0, eager: 0, unlimited: 0 };
    const counted = (key: keyof typeof ticks, run: () => Promise<number>) => async (): Promise<number> => {
      const t0 = mainThreadTicks();
      const ms = await run();
      const t1 = mainThreadTicks();
      if (t0 !== undefined && t1 !== undefined) ticks[key] += t1 - t0;
      return ms;
    };
    const variants = {
      rawAll: counted("rawAll", () => rawAllAtOnce(pool, steps)),
      rawLimited: counted("rawLimited", () => rawLimited(pool, steps, threads)),
      eager: counted("eager", () => orchestrated(eager)),
      unlimited: counted("unlimited", () => orchestrated(unlimited)),
    };
    await interleave(2, variants); // warm-up: threads started, agents loaded, JIT done, steps measured
    for (const key of Object.keys(ticks) as (keyof typeof ticks)[]) ticks[key] = 0;
    const samples = await interleave(rounds, variants);
    const cpuKnown = mainThreadTicks() !== undefined;
    const cpu = (k: keyof typeof ticks): string => (cpuKnown ? fixed((ticks[k] * 10_000) / (steps * rounds), 1) : "n/a");
    const us = (k: keyof typeof samples, f: (v: number[]) => number) => (f(samples[k]) * 1000) / steps;
    const base = us("rawAll", median);
    const row = (variant: string, k: keyof typeof samples) => ({
      variant,
      median: fixed(us(k, median), 1),
      best: fixed(us(k, best), 1),
      ratio: fixed(us(k, median) / base, 2),
      cpu: cpu(k),
      cpuRatio: cpuKnown ? fixed(ticks[k] / ticks.rawAll, 2) : "n/a",
    });
    return [{
      title: `Per-step overhead: ${steps} independent no-op steps, ${threads} threads, median of ${rounds} interleaved rounds`,
      columns: [
        { key: "variant", label: "variant" },
        { key: "median", label: "µs/step (median)", align: "right" },
        { key: "best", label: "µs/step (best)", align: "right" },
        { key: "ratio", label: "× raw Piscina, all at once", align: "right" },
        { key: "cpu", label: "main-thread CPU µs/step", align: "right" },
        { key: "cpuRatio", label: "CPU × raw", align: "right" },
      ],
      rows: [
        row("raw `piscina.run`, all tasks queued at once", "rawAll"),
        row(`raw \`piscina.run\`, ${threads} in flight`, "rawLimited"),
        row(`ParallelOrchestrator eager, default (concurrency ${threads})`, "eager"),
        row("ParallelOrchestrator eager, unlimited concurrency", "unlimited"),
      ],
      notes: [
        `Target: the default orchestrator ≤ 1.0× raw Piscina with every task queued at once (bar 1.05×). Each round runs every variant (order rotated) on one run of ${steps} steps; 2 warm-up rounds are not counted.`,
        "Main-thread CPU is the main thread's user + system time over the counted rounds (Linux /proc, 10 ms ticks), per step: the main thread is what bounds a run of no-op steps, and its CPU time moves less than the wall time on a shared machine.",
        `The default keeps one step per thread waiting in Piscina's queue, in critical-path order, and steps measured to take next to nothing (all of them, after the warm-up rounds) also wait on the threads, up to 16 each; a run of steps never measured queues one per thread only. Unlimited concurrency hands Piscina every ready step at once, first in, first out.`,
      ],
    }];
  } finally {
    await Promise.all([eager.close(), unlimited.close(), pool.destroy()]);
  }
}

if (isMain(import.meta.url)) printTables(await overhead());
