// An uneven DAG where the wave barrier hurts: A 300 ms; B 30 ms → C 300 ms; D (10 ms) needs A and C.
// Eager starts C as soon as B ends, beside A; waves holds C until A is done.
// Run: npm run build && node dist/benchmarks/uneven-dag.js
import { ParallelOrchestratorConfig, simulate, StrategyMap, StrategyStep, type Scheduling } from "wavepool";
import { benchOptions, type BenchOptions } from "./bench-options.js";
import { fixed, isMain, printTables, type Table } from "./report.js";
import { busyOrchestrator, timedRun } from "./runs.js";
import { best, interleave, median } from "./stats.js";

export function unevenDag(): StrategyMap {
  const step = (id: string, ms: number, reads = "") => new StrategyStep(id, `${ms} ms of work`, "Busy", `work ${ms}${reads}`, id, { cost: ms });
  return new StrategyMap("uneven DAG")
    .addStep(step("A", 300))
    .addStep(step("B", 30))
    .addStep(step("C", 300, " after {{ B }}"))
    .addStep(step("D", 10, " after {{ A }} and {{ C }}"));
}

export async function unevenDagBench(options: BenchOptions = benchOptions()): Promise<Table[]> {
  const { threads } = options;
  const rounds = options.rounds(5, 1);
  const strategy = unevenDag();
  const modes: Scheduling[] = ["eager", "waves"];
  const orchestrators = Object.fromEntries(modes.map((mode) => [
    mode, busyOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(threads).withScheduling(mode), 1),
  ])) as Record<Scheduling, ReturnType<typeof busyOrchestrator>>;
  try {
    for (const o of Object.values(orchestrators)) await o.execute("warm up");
    const samples = await interleave(rounds, {
      eager: async () => (await timedRun(orchestrators.eager)).ms,
      waves: async () => (await timedRun(orchestrators.waves)).ms,
    });
    const rows = modes.map((mode) => {
      const sim = simulate(strategy, { threads, scheduling: mode });
      const real = median(samples[mode]);
      return {
        mode,
        real: fixed(real, 0),
        best: fixed(best(samples[mode]), 0),
        simulated: fixed(sim.makespan, 0),
        bound: fixed(sim.lowerBound, 0),
        ratio: fixed(real / sim.lowerBound, 2),
        simRatio: fixed(sim.makespan / sim.lowerBound, 2),
      };
    });
    return [{
      title: `Uneven DAG (A 300; B 30 → C 300; A, C → D 10 ms) on ${threads} threads, median of ${rounds} interleaved rounds`,
      columns: [
        { key: "mode", label: "scheduling" },
        { key: "real", label: "real makespan ms (median)", align: "right" },
        { key: "best", label: "real ms (best)", align: "right" },
        { key: "simulated", label: "simulated ms", align: "right" },
        { key: "bound", label: "lower bound ms", align: "right" },
        { key: "ratio", label: "real / bound", align: "right" },
        { key: "simRatio", label: "simulated / bound", align: "right" },
      ],
      rows,
      notes: [
        "Lower bound = max(critical path, total work / threads), from `simulate`. Expected: eager ≈ 1.0, waves ≈ 1.8 (C cannot start before A ends).",
        "Real makespan is wall time around `execute` (plan, dispatch and the results included); work is calibrated hashing, so ms are approximate.",
      ],
    }];
  } finally {
    await Promise.all(Object.values(orchestrators).map((o) => o.close()));
  }
}

if (isMain(import.meta.url)) printTables(await unevenDagBench());
