// The Standard Task Graph Set (Kasahara Lab): how close wavepool's schedules come to the known
// optimal makespans, in simulation (Table A) and on real threads (Table B); and how planning,
// simulation and per-step overhead scale to 100k-step random DAGs (Table C).
// Run: npm run build && node dist/benchmarks/stg.js      (STG_DIR=path if the set is elsewhere)
import { Piscina } from "piscina";
import {
  ParallelOrchestrator, ParallelOrchestratorConfig, simulate, type Scheduling, type StrategyMap,
} from "wavepool";
import { benchOptions, type BenchOptions } from "./bench-options.js";
import { randomDag, randomDagRows, randomDagStrategy, strategyFromRows } from "./random-dag.js";
import { fixed, isMain, notRun, printTables, section, type Cell, type Column, type Table } from "./report.js";
import { busyOrchestrator, timedRun } from "./runs.js";
import { best, interleave, mean, median, worst } from "./stats.js";
import { loadStgSet, stgStrategy, type EdgeStyle, type StgSet } from "./stg/read-stg.js";

const MODES: Scheduling[] = ["eager", "waves"];
const NOOP_AGENT = new URL("./agents/noop.js", import.meta.url);

/** Table A: simulated makespan / optimal for every graph and processor count, eager and waves. */
export function stgSimulated(set: StgSet): Table[] {
  const allP = [...new Set(Object.values(set.processors).flat())].sort((a, b) => a - b);
  // ratios[mode][size or "all"][p] = list of makespan / optimal
  const ratios: Record<string, Record<string, Record<number, number[]>>> = { eager: {}, waves: {} };
  const perGraph: Record<string, Cell>[] = [];
  const problems: string[] = [];
  for (const { size, file, graph, optimal } of set.graphs) {
    const name = `${size}/${file.replace(/\.stg$/, "")}`;
    const strategy = stgStrategy(graph);
    // Cross-checks of the reader and of plan(): the file states its critical path, and edges given
    // as template reads or as dependsOn must make the same graph.
    const plan = strategy.plan();
    const viaDependsOn = stgStrategy(graph, "dependsOn").plan();
    if (graph.statedCriticalPath !== undefined && plan.criticalPathCost !== graph.statedCriticalPath) {
      problems.push(`${name}: plan() critical path ${plan.criticalPathCost}, the file says ${graph.statedCriticalPath}`);
    }
    if (JSON.stringify(plan) !== JSON.stringify(viaDependsOn)) problems.push(`${name}: template edges and dependsOn edges plan differently`);
    const row: Record<string, Cell> = { graph: name, cp: plan.criticalPathCost };
    set.processors[size]!.forEach((p, k) => {
      const opt = optimal[k]!;
      const cell: string[] = [];
      for (const mode of MODES) {
        const r = simulate(strategy, { threads: p, scheduling: mode }).makespan / opt;
        if (r < 1 - 1e-9) problems.push(`${name}: ${mode} on ${p} processors simulates ${fixed(r, 3)} × the optimum, which is impossible`);
        for (const bucket of [size, "all"]) ((ratios[mode]![bucket] ??= {})[p] ??= []).push(r);
        cell.push(fixed(r, 3));
      }
      row[`p${p}`] = cell.join(" · ");
    });
    perGraph.push(row);
  }
  const sizes = [...new Set(set.graphs.map((g) => g.size)), "all"];
  const summary: Record<string, Cell>[] = [];
  for (const size of sizes) {
    for (const [stat, f] of [["mean", mean], ["worst", worst]] as const) {
      const row: Record<string, Cell> = { set: size === "all" ? "all graphs" : `${size} tasks`, stat };
      for (const mode of MODES) {
        const byP = ratios[mode]![size] ?? {};
        for (const p of allP) row[`${mode}${p}`] = byP[p] ? fixed(f(byP[p]), 3) : "";
        row[`${mode}All`] = fixed(f(Object.values(byP).flat()), 3);
      }
      summary.push(row);
    }
  }
  const pColumns = (mode: Scheduling): Column[] => [
    ...allP.map((p) => ({ key: `${mode}${p}`, label: `${mode} p=${p}`, align: "right" as const })),
    { key: `${mode}All`, label: `${mode} all p`, align: "right" },
  ];
  return [
    {
      title: `STG Table A: simulated makespan / optimal (${set.graphs.length} graphs, ${set.dir})`,
      columns: [{ key: "set", label: "graphs" }, { key: "stat", label: "statistic" }, ...pColumns("eager"), ...pColumns("waves")],
      rows: summary,
      notes: [
        "Targets: eager mean ≤ 1.02, worst ≤ 1.05. `simulate` runs the live scheduler on a virtual clock with each task's processing time as its cost.",
        problems.length === 0
          ? "Checked: plan()'s critical path equals each file's `CP Length`, template and dependsOn edges plan alike, and no makespan is below the optimum."
          : `**Problems:** ${problems.join("; ")}`,
      ],
    },
    {
      title: "STG Table A, per graph: simulated makespan / optimal, eager · waves",
      columns: [{ key: "graph", label: "graph" }, { key: "cp", label: "critical path", align: "right" }, ...allP.map((p) => ({ key: `p${p}`, label: `p=${p}`, align: "right" as const }))],
      rows: perGraph,
    },
  ];
}

/** Table B: two graphs on real threads, each unit of cost `msPerUnit` ms of hashing. */
export async function stgReal(set: StgSet, options: BenchOptions, msPerUnit = 5): Promise<Table[]> {
  const { threads } = options;
  const rounds = options.rounds(3, 1);
  const picks = set.graphs.filter((g) => g.size === "50").slice(0, 2);
  const rows: Record<string, Cell>[] = [];
  for (const { size, file, graph, optimal } of picks) {
    const k = set.processors[size]!.indexOf(threads);
    if (k < 0) throw new Error(`no optimum for ${threads} processors in ${size}/${file}`);
    const target = optimal[k]! * msPerUnit;
    const strategy = stgStrategy(graph);
    const totalCost = graph.tasks.reduce((s, t) => s + t.cost, 0);
    const orchestrators = Object.fromEntries(MODES.map((mode) => [
      mode, busyOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(threads).withScheduling(mode), msPerUnit),
    ])) as Record<Scheduling, ParallelOrchestrator>;
    try {
      for (const o of Object.values(orchestrators)) await o.execute("warm up");
      const work: Record<Scheduling, number[]> = { eager: [], waves: [] };
      const run = (mode: Scheduling) => async () => {
        const { ms, workMs } = await timedRun(orchestrators[mode]);
        work[mode].push(workMs);
        return ms;
      };
      const samples = await interleave(rounds, { eager: run("eager"), waves: run("waves") });
      for (const mode of MODES) {
        const real = median(samples[mode]);
        // The unit as measured (Σ step ms / Σ cost): removes calibration error and a noisy neighbour's share.
        const unit = median(work[mode]) / totalCost;
        rows.push({
          graph: `${size}/${file.replace(/\.stg$/, "")}`, mode, real: fixed(real, 0), best: fixed(best(samples[mode]), 0),
          target: fixed(target, 0), ratio: fixed(real / target, 3), unit: fixed(unit, 2),
          normalized: fixed(real / (optimal[k]! * unit), 3),
          simulated: fixed(simulate(strategy, { threads, scheduling: mode }).makespan / optimal[k]!, 3),
        });
      }
    } finally {
      await Promise.all(Object.values(orchestrators).map((o) => o.close()));
    }
  }
  return [{
    title: `STG Table B: real threads (${threads}), 1 unit of cost = ${msPerUnit} ms of hashing, median of ${rounds} interleaved rounds`,
    columns: [
      { key: "graph", label: "graph" }, { key: "mode", label: "scheduling" },
      { key: "real", label: "real makespan ms", align: "right" }, { key: "best", label: "best ms", align: "right" },
      { key: "target", label: `optimal × ${msPerUnit} ms`, align: "right" }, { key: "ratio", label: "real / optimal", align: "right" },
      { key: "unit", label: "measured ms/unit", align: "right" }, { key: "normalized", label: "real / (optimal × measured unit)", align: "right" },
      { key: "simulated", label: "simulated / optimal", align: "right" },
    ],
    rows,
    notes: [
      "Target: eager real / optimal ≤ 1.15. Each step reads its predecessors' outputs through its template (`work 7 | {{ t3 }} {{ t12 }}`).",
      "The normalized column divides by the unit the steps actually took (Σ step durations / Σ costs), so calibration error and CPU stolen by other processes do not count against the scheduler.",
    ],
  }];
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const value = f();
  return [value, performance.now() - t0];
}

/** Table C: construction, plan() and simulate() on random DAGs; live no-op overhead per step. */
export async function stgScale(options: BenchOptions): Promise<Table[]> {
  const sizes = [1_000, 10_000, 100_000];
  const liveSizes = options.quick ? [1_000, 10_000] : sizes;
  const planRows: Record<string, Cell>[] = [];
  const liveStrategies = new Map<number, StrategyMap>();
  // Warm-up: compile the planning and simulation code before anything is timed.
  simulate(randomDagStrategy(randomDag(1_000, 3, 7), "templates"), { threads: options.threads });
  for (const n of sizes) {
    const dag = randomDag(n);
    for (const edges of ["templates", "dependsOn"] as EdgeStyle[]) {
      const rows = randomDagRows(dag, edges);
      const [strategy, build] = timed(() => strategyFromRows(rows));
      const [plan, firstPlan] = timed(() => strategy.plan());
      const [, againPlan] = timed(() => strategy.plan());
      const [sim, simMs] = timed(() => simulate(strategy, { threads: options.threads }));
      const perStep = (ms: number) => `${fixed(ms, ms < 10 ? 1 : 0)} (${fixed((ms * 1000) / n, 1)})`;
      planRows.push({
        steps: n.toLocaleString("en"), edges, construct: perStep(build), firstPlan: perStep(firstPlan), plan: perStep(againPlan),
        simulate: perStep(simMs), waves: plan.waves.length, simRatio: fixed(sim.makespan / sim.lowerBound, 3),
      });
      if (edges === "templates") liveStrategies.set(n, strategy);
    }
  }
  // Live: the template DAGs on one shared pool, so that every size starts on warm threads. The
  // first run of an orchestrator is reported apart: it fills the learned-cost table and JIT caches.
  const pool = new Piscina({ minThreads: options.threads, maxThreads: options.threads, idleTimeout: Infinity, concurrentTasksPerWorker: 1 });
  const liveRows: Record<string, Cell>[] = [];
  try {
    const config = new ParallelOrchestratorConfig().withPool(pool);
    // Start the threads and load the agent in each before anything is timed.
    const warm = new ParallelOrchestrator(randomDagStrategy(randomDag(200, 3, 7), "templates"), config).addAgent("Noop", NOOP_AGENT);
    for (let r = 0; r < 3; r++) await timedRun(warm);
    await warm.close();
    let base = NaN;
    for (const n of liveSizes) {
      const orchestrator = new ParallelOrchestrator(liveStrategies.get(n)!, config).addAgent("Noop", NOOP_AGENT);
      const runs = n >= 100_000 ? 1 : n >= 10_000 ? options.rounds(3, 1) : options.rounds(15, 5);
      const usPerStep = async () => ((await timedRun(orchestrator)).ms * 1000) / n;
      try {
        const first = await usPerStep();
        const samples: number[] = [];
        for (let r = 0; r < runs; r++) samples.push(await usPerStep());
        const us = median(samples);
        base = Number.isNaN(base) ? us : base;
        liveRows.push({
          steps: n.toLocaleString("en"), first: fixed(first, 1), runs, us: fixed(us, 1), best: fixed(best(samples), 1), vs: fixed(us / base, 2),
        });
      } finally {
        await orchestrator.close();
      }
    }
  } finally {
    await pool.destroy();
  }
  return [
    {
      title: "STG Table C: building, planning and simulating random DAGs (~3 edges a step, to earlier steps), ms (µs/step)",
      columns: [
        { key: "steps", label: "steps", align: "right" }, { key: "edges", label: "edges as" },
        { key: "construct", label: "new StrategyStep + addStep", align: "right" }, { key: "firstPlan", label: "first plan() (builds the graph)", align: "right" },
        { key: "plan", label: "plan() again", align: "right" }, { key: "simulate", label: `simulate(${options.threads} threads)`, align: "right" },
        { key: "waves", label: "waves", align: "right" }, { key: "simRatio", label: "simulated / lower bound", align: "right" },
      ],
      rows: planRows,
      notes: ["Construction (the intents made beforehand) analyses every intent (`step 12 {{ s3 }} {{ s7 }} {{ s9 }}`, a plain template the scanner reads without a liquid parse, or `step 12` with dependsOn); the first plan() compiles and caches the dependency graph. build-scale.js compares with a full liquid parse."],
    },
    {
      title: `STG Table C, live: per-step overhead of no-op steps on random template DAGs, ${options.threads} threads`,
      columns: [
        { key: "steps", label: "steps", align: "right" }, { key: "first", label: "first run µs/step", align: "right" },
        { key: "runs", label: "later runs", align: "right" }, { key: "us", label: "µs/step (median)", align: "right" }, { key: "best", label: "µs/step (best)", align: "right" },
        { key: "vs", label: `× ${liveSizes[0]!.toLocaleString("en")} steps`, align: "right" },
      ],
      rows: liveRows,
      notes: [
        "Later runs should stay flat with size (the first run of an orchestrator is shown apart). Each step renders its template from 3 predecessors' outputs and sends the values it read to the worker.",
        ...(options.quick ? ["Quick run: the 100,000-step live run is left out."] : []),
      ],
    },
  ];
}

/** Tables A and B need the set (and, for B, an optimum for the thread count); Table C does not. */
export async function stg(options: BenchOptions = benchOptions()): Promise<Table[]> {
  const scale = (): Promise<Table[]> => section("STG Table C: random DAGs", () => stgScale(options));
  let set: StgSet;
  try {
    set = loadStgSet();
  } catch (error) {
    return [notRun("STG Tables A and B: schedules against the known optima", error), ...(await scale())];
  }
  const real = await section(`STG Table B: real threads (${options.threads})`, () => stgReal(set, options));
  return [...stgSimulated(set), ...real, ...(await scale())];
}

if (isMain(import.meta.url)) printTables(await stg());
