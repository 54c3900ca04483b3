// Parallel speedup on CPU-bound work: 8 independent steps of ~150 ms of hashing on `threads`
// threads against the same 8 steps one after another on a 1-thread orchestrator.
// Run: npm run build && node dist/benchmarks/speedup.js
import { ParallelOrchestratorConfig, StrategyMap, StrategyStep } from "wavepool";
import { benchOptions, type BenchOptions } from "./bench-options.js";
import { iterationsPerMs } from "./calibrate.js";
import { fixed, isMain, printTables, type Table } from "./report.js";
import { busyOrchestrator, timedRun } from "./runs.js";
import { best, interleave, median } from "./stats.js";

export async function speedup(options: BenchOptions = benchOptions()): Promise<Table[]> {
  const { threads } = options;
  const steps = 8;
  const stepMs = 150;
  const rounds = options.rounds(3, 1);
  const strategy = new StrategyMap(`${steps} independent CPU-bound steps`);
  for (let i = 0; i < steps; i++) strategy.addStep(new StrategyStep(`w${i}`, "", "Busy", `work ${stepMs}`, `w${i}_out`, { cost: stepMs }));
  const parallel = busyOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(threads), 1);
  const serial = busyOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(1), 1);
  try {
    await Promise.all([parallel.execute("warm up"), serial.execute("warm up")]);
    const work = { parallel: [] as number[], serial: [] as number[] };
    const samples = await interleave(rounds, {
      parallel: async () => {
        const { ms, workMs } = await timedRun(parallel);
        work.parallel.push(workMs);
        return ms;
      },
      serial: async () => {
        const { ms, workMs } = await timedRun(serial);
        work.serial.push(workMs);
        return ms;
      },
    });
    const par = median(samples.parallel);
    const seq = median(samples.serial);
    const s = seq / par;
    const contended = median(work.parallel) > 1.1 * median(work.serial);
    return [{
      title: `Speedup: ${steps} independent steps of ~${stepMs} ms of hashing, ${threads} threads vs 1 thread, median of ${rounds} interleaved rounds`,
      columns: [
        { key: "variant", label: "variant" },
        { key: "median", label: "makespan ms (median)", align: "right" },
        { key: "best", label: "makespan ms (best)", align: "right" },
        { key: "work", label: "Σ step ms (median)", align: "right" },
        { key: "speedup", label: "speedup", align: "right" },
        { key: "efficiency", label: "speedup / threads", align: "right" },
        { key: "busy", label: "threads busy", align: "right" },
      ],
      rows: [
        { variant: "1 thread, one step after another", median: fixed(seq, 0), best: fixed(best(samples.serial), 0), work: fixed(median(work.serial), 0), speedup: "1.00", efficiency: "1.00",
          busy: fixed(median(work.serial) / seq, 2) },
        {
          variant: `${threads} threads, eager`, median: fixed(par, 0), best: fixed(best(samples.parallel), 0), work: fixed(median(work.parallel), 0),
          speedup: fixed(s, 2), efficiency: fixed(s / threads, 2), busy: fixed(median(work.parallel) / (threads * par), 2),
        },
      ],
      notes: [
        `Target: speedup / threads ≥ 0.90. The work is a fixed count of hash iterations (calibrated once: ${fixed(iterationsPerMs() / 1000, 0)}k iterations/ms), not a clock-based spin, so threads that share a core take longer and the speedup is real.`,
        "Σ step ms is the sum of the steps' own durations: if it grows with threads, the threads slowed each other (shared core, memory, a noisy neighbour), not the scheduler. Threads busy = Σ step ms / (threads × makespan): the share of the makespan the scheduler kept every thread working, whatever speed the CPU gave.",
        ...(contended ? [`**Contention:** the steps took ${fixed(median(work.parallel) / median(work.serial), 2)}× as long on ${threads} threads as on 1: another process held a core, so the speedup understates what the scheduler does (see threads busy).`] : []),
      ],
    }];
  } finally {
    await Promise.all([parallel.close(), serial.close()]);
  }
}

if (isMain(import.meta.url)) printTables(await speedup());
