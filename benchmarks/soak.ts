// Soak: hundreds of runs on one orchestrator with timeouts, crashes and agent errors mixed in.
// Prints heap, thread and handle counts before and after; a leak shows as growth between rounds.
// Run: npm run build && node dist/benchmarks/soak.js [runs]   (SOAK_RUNS=300 by default)
import { availableParallelism } from "node:os";
import { ParallelOrchestrator, ParallelOrchestratorConfig, StrategyMap, StrategyStep } from "wavepool";

const runs = Number(process.argv[2] ?? process.env.SOAK_RUNS ?? 300);
const fates = ["ok", "ok", "ok", "spin", "exit", "throw", "leak", "ok"];

function strategy(): StrategyMap {
  const map = new StrategyMap("soak");
  fates.forEach((fate, i) => {
    const reads = i >= 4 ? ` {{ s${i - 4}_out.ok }}` : "";
    map.addStep(new StrategyStep(`s${i}`, fate, "Soak", `${fate}${reads}`, `s${i}_out`));
  });
  return map;
}

interface Sample { heapMb: number; rssMb: number; threads: number; handles: number }

function sample(orchestrator: ParallelOrchestrator): Sample {
  globalThis.gc?.();
  const m = process.memoryUsage();
  const resources = (process as unknown as { getActiveResourcesInfo(): string[] }).getActiveResourcesInfo();
  return {
    heapMb: +(m.heapUsed / 2 ** 20).toFixed(1),
    rssMb: +(m.rss / 2 ** 20).toFixed(1),
    threads: orchestrator.poolThreads,
    handles: resources.length,
  };
}

export async function soak(total = runs): Promise<{ before: Sample; after: Sample; statuses: Record<string, number>; ms: number }> {
  const threads = availableParallelism();
  const orchestrator = new ParallelOrchestrator(strategy(), new ParallelOrchestratorConfig().withThreads(threads).withStepTimeout(200))
    .addAgent("Soak", new URL("./agents/soak-agent.js", import.meta.url));
  await orchestrator.execute("warm up");
  const before = sample(orchestrator);
  const statuses: Record<string, number> = {};
  const started = performance.now();
  for (let r = 0; r < total; r++) {
    const result = await orchestrator.execute(`run ${r}`);
    for (const s of result.steps) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
  }
  const ms = performance.now() - started;
  const after = sample(orchestrator);
  await orchestrator.close();
  return { before, after, statuses, ms };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { before, after, statuses, ms } = await soak();
  console.log(`# soak: ${runs} runs x ${fates.length} steps (timeouts, process.exit, agent errors mixed in)`);
  console.log(`command: node --expose-gc dist/benchmarks/soak.js ${runs} | node ${process.version} | ${availableParallelism()} cores\n`);
  console.log("| when | heap MB | rss MB | pool threads | active handles |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const [when, s] of [["before", before], ["after", after]] as const) {
    console.log(`| ${when} | ${s.heapMb} | ${s.rssMb} | ${s.threads} | ${s.handles} |`);
  }
  console.log(`\nstep outcomes: ${Object.entries(statuses).map(([k, v]) => `${k} ${v}`).join(", ")}; ${(ms / runs).toFixed(1)} ms/run`);
}
