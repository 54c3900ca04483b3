// Time to the first step of a fresh orchestrator: from `execute()` (which creates the pool and loads
// the agents) to the first `step:start` and the first `step:end`, against raw Piscina's floor (a new
// pool of the same size and the first no-op task's result), with 2 threads and with 16 (more threads
// than this machine has cores: thread start-up competes with the run for the CPU).
// Run: npm run build && node dist/benchmarks/first-step.js
import { Piscina } from "piscina";
import { ParallelOrchestrator, ParallelOrchestratorConfig, type RunEvent } from "wavepool";
import { benchOptions, type BenchOptions } from "./bench-options.js";
import { independentNoops } from "./overhead.js";
import { fixed, isMain, printTables, type Table } from "./report.js";
import { best, interleave, median } from "./stats.js";

const NOOP_AGENT = new URL("./agents/noop.js", import.meta.url);
const RAW_WORKER = new URL("./workers/raw-noop-entry.cjs", import.meta.url).href;

interface FirstStep {
  start: number;
  end: number;
}

/** One run of `threads` no-op steps on a fresh orchestrator; times from the `execute` call. */
async function orchestrated(threads: number): Promise<FirstStep> {
  const orchestrator = new ParallelOrchestrator(independentNoops(threads), new ParallelOrchestratorConfig().withThreads(threads))
    .addAgent("Noop", NOOP_AGENT);
  try {
    let start = NaN;
    let end = NaN;
    const t0 = performance.now();
    const onEvent = (event: RunEvent): void => {
      if (event.type === "step:start" && Number.isNaN(start)) start = performance.now() - t0;
      if (event.type === "step:end" && Number.isNaN(end)) end = performance.now() - t0;
    };
    const result = await orchestrator.execute("first step", { onEvent });
    if (!result.success) throw new Error(`the no-op run failed: ${JSON.stringify(result.steps.find((s) => s.status !== "completed"))}`);
    return { start, end };
  } finally {
    await orchestrator.close();
  }
}

/** The floor: a new raw Piscina pool of `threads` threads and its first no-op task. */
async function raw(threads: number): Promise<FirstStep> {
  const t0 = performance.now();
  const pool = new Piscina({ filename: RAW_WORKER, minThreads: threads, maxThreads: threads, idleTimeout: Infinity });
  try {
    const first = pool.run(0);
    const start = performance.now() - t0;
    await first;
    return { start, end: performance.now() - t0 };
  } finally {
    await pool.destroy();
  }
}

export async function firstStep(options: BenchOptions = benchOptions()): Promise<Table[]> {
  const rounds = options.rounds(9, 3);
  const counts = [...new Set([options.threads, 16])];
  const variants: Record<string, () => Promise<FirstStep>> = {};
  for (const t of counts) {
    variants[`wavepool${t}`] = () => orchestrated(t);
    variants[`raw${t}`] = () => raw(t);
  }
  const seen: Record<string, FirstStep[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  const timed = Object.fromEntries(Object.entries(variants).map(([k, run]) => [k, async () => {
    const sample = await run();
    seen[k]!.push(sample);
    return sample.end;
  }]));
  await interleave(1, timed); // warm-up: modules loaded, JIT done
  for (const k of Object.keys(seen)) seen[k] = [];
  await interleave(rounds, timed);
  const col = (k: string, f: (v: number[]) => number, key: keyof FirstStep) => f(seen[k]!.map((s) => s[key]));
  const rows = counts.flatMap((t) => [
    {
      variant: `ParallelOrchestrator, ${t} threads`,
      start: fixed(col(`wavepool${t}`, median, "start"), 0),
      end: fixed(col(`wavepool${t}`, median, "end"), 0),
      endBest: fixed(col(`wavepool${t}`, best, "end"), 0),
      ratio: fixed(col(`wavepool${t}`, median, "end") / col(`raw${t}`, median, "end"), 2),
    },
    {
      variant: `raw Piscina, ${t} threads (floor)`,
      start: "–",
      end: fixed(col(`raw${t}`, median, "end"), 0),
      endBest: fixed(col(`raw${t}`, best, "end"), 0),
      ratio: "1.00",
    },
  ]);
  return [{
    title: `Time to the first step of a fresh orchestrator, median of ${rounds} interleaved rounds`,
    columns: [
      { key: "variant", label: "variant" },
      { key: "start", label: "first `step:start` ms", align: "right" },
      { key: "end", label: "first `step:end` ms (median)", align: "right" },
      { key: "endBest", label: "first `step:end` ms (best)", align: "right" },
      { key: "ratio", label: "× raw Piscina", align: "right" },
    ],
    rows,
    notes: [
      "From the `execute` call on a new orchestrator (its pool is created there and its agents loaded) to the first step's events; raw Piscina: from `new Piscina` to the first no-op task's result.",
      "Target: first step with 16 threads ≤ 150 ms. Threads beyond the cores start up while the run goes on: the run must not wait for all of them.",
    ],
  }];
}

if (isMain(import.meta.url)) printTables(await firstStep());
