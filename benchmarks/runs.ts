// Making and timing orchestrator runs for the benchmarks: the CPU-bound "Busy" agent with a
// calibrated unit of work, and a run timed from the outside that refuses to time a failed run.
import { ParallelOrchestrator, type ParallelOrchestratorConfig, type StrategyMap } from "wavepool";
import { iterationsPerMs } from "./calibrate.js";

export const BUSY_AGENT = new URL("./agents/busy.js", import.meta.url);

/** An orchestrator whose "Busy" agent hashes for about `msPerUnit` ms per unit of work. */
export function busyOrchestrator(strategy: StrategyMap, config: ParallelOrchestratorConfig, msPerUnit: number): ParallelOrchestrator {
  return new ParallelOrchestrator(strategy, config)
    .addAgent("Busy", { module: BUSY_AGENT, options: { iterationsPerUnit: Math.round(msPerUnit * iterationsPerMs()) } });
}

/** Wall time of one run; throws if a step did not complete (a benchmark of a failed run means nothing). */
export async function timedRun(orchestrator: ParallelOrchestrator, task = "bench"): Promise<{ ms: number; workMs: number }> {
  const t0 = performance.now();
  const result = await orchestrator.execute(task);
  const ms = performance.now() - t0;
  if (!result.success) {
    const bad = result.steps.find((s) => s.status !== "completed");
    throw new Error(`benchmark run failed at step ${bad?.stepId}: ${bad?.error?.message ?? bad?.status}`);
  }
  return { ms, workMs: result.steps.reduce((sum, s) => sum + s.durationMs, 0) };
}
