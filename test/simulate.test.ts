// simulate(): valid, deterministic schedules on random DAGs; the same order as a live run; learned
// costs; bad input. Timings are never asserted here (see benchmarks/).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ParallelOrchestrator, ParallelOrchestratorConfig, StrategyMap, StrategyStep, StrategyValidationError, simulate, type Scheduling } from "wavepool";
import { agent, strategyOf } from "./helpers.js";
import { seededRandom } from "../benchmarks/random-dag.js";


/** A random DAG: each step depends on up to `fanIn` earlier steps; costs 0..20 (some zero). */
function randomDag(n: number, seed: number, fanIn = 3): { strategy: StrategyMap; costs: Record<string, number> } {
  const rand = seededRandom(seed);
  const strategy = new StrategyMap(`random ${seed}`);
  const costs: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const deps = new Set<string>();
    for (let k = 0; i > 0 && k < fanIn; k++) if (rand() < 0.7) deps.add(`s${Math.floor(rand() * i)}`);
    strategy.addStep(new StrategyStep(`s${i}`, "", "X", "x", `o${i}`, { dependsOn: [...deps] }));
    costs[`s${i}`] = rand() < 0.1 ? 0 : Math.floor(rand() * 20) + 1;
  }
  return { strategy, costs };
}

function assertValid(strategy: StrategyMap, costs: Record<string, number>, threads: number, mode: Scheduling): void {
  const sim = simulate(strategy, { threads, costs, scheduling: mode });
  const graph = strategy.graph();
  assert.equal(sim.schedule.length, graph.steps.length, "every step once");
  const at = new Map(sim.schedule.map((s) => [s.stepId, s]));
  assert.equal(at.size, graph.steps.length);
  graph.steps.forEach((step, i) => {
    const s = at.get(step.stepId)!;
    assert.equal(s.end - s.start, costs[step.stepId]);
    assert.ok(s.thread >= 0 && s.thread < threads);
    for (const d of graph.deps[i]!) assert.ok(s.start >= at.get(graph.steps[d]!.stepId)!.end, `${step.stepId} starts after its dependency`);
  });
  const byThread = new Map<number, { start: number; end: number }[]>();
  for (const s of sim.schedule) byThread.set(s.thread, [...(byThread.get(s.thread) ?? []), s]);
  for (const spans of byThread.values()) {
    spans.sort((x, y) => x.start - y.start || x.end - y.end);
    for (let k = 1; k < spans.length; k++) assert.ok(spans[k]!.start >= spans[k - 1]!.end, "no overlap on a thread");
  }
  assert.equal(sim.makespan, Math.max(0, ...sim.schedule.map((s) => s.end)));
  assert.ok(sim.makespan >= sim.lowerBound - 1e-9, `makespan ${sim.makespan} >= lower bound ${sim.lowerBound}`);
}

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`random DAG ${seed}: valid schedules in both modes on 1..8 threads`, () => {
    const { strategy, costs } = randomDag(120, seed);
    for (const threads of [1, 2, 3, 8]) for (const mode of ["eager", "waves"] as Scheduling[]) assertValid(strategy, costs, threads, mode);
  });
}

test("a large random DAG (20,000 steps) simulates to a valid schedule", () => {
  const { strategy, costs } = randomDag(20_000, 42);
  assertValid(strategy, costs, 4, "eager");
});

test("deterministic: equal input, equal schedule; ties go to the step defined first", () => {
  const { strategy, costs } = randomDag(200, 9);
  assert.deepEqual(simulate(strategy, { threads: 3, costs }), simulate(strategy, { threads: 3, costs }));
  const flat = strategyOf(["c", "X", "x"], ["a", "X", "x"], ["b", "X", "x"]);
  assert.deepEqual(simulate(flat, { threads: 1 }).schedule.map((s) => s.stepId), ["c", "a", "b"]);
});

test("on one thread, makespan is the total work; on many, the critical path", () => {
  const { strategy, costs } = randomDag(60, 3);
  const total = Object.values(costs).reduce((a, b) => a + b, 0);
  assert.equal(simulate(strategy, { threads: 1, costs }).makespan, total);
  const wide = simulate(strategy, { threads: 1000, costs });
  assert.equal(wide.makespan, strategy.plan(costs).criticalPathCost);
});

test("zero-cost steps are allowed and take no time", () => {
  const strategy = strategyOf(["a", "X", "a", "a", { cost: 0 }], ["b", "X", "{{ a }}", "b", { cost: 0 }], ["c", "X", "{{ b }}", "c", { cost: 2 }]);
  const sim = simulate(strategy, { threads: 2 });
  assert.equal(sim.makespan, 2);
  assert.deepEqual(sim.schedule.map((s) => [s.stepId, s.start, s.end]), [["a", 0, 0], ["b", 0, 0], ["c", 0, 2]]);
});

test("the uneven DAG: eager reaches the lower bound, the wave barrier does not", () => {
  const strategy = strategyOf(
    ["A", "X", "a", "a", { cost: 300 }], ["B", "X", "b", "b", { cost: 30 }],
    ["C", "X", "{{ b }}", "c", { cost: 300 }], ["D", "X", "{{ a }} {{ c }}", "d", { cost: 10 }],
  );
  const eager = simulate(strategy, { threads: 2 });
  const waves = simulate(strategy, { threads: 2, scheduling: "waves" });
  assert.equal(eager.lowerBound, 340);
  assert.equal(eager.makespan, 340);
  assert.equal(waves.makespan, 610);
});

test("bad input is refused with an error naming the value", () => {
  const strategy = strategyOf(["a", "X", "a"]);
  assert.throws(() => simulate(strategy, { threads: 0 }), (e: unknown) => e instanceof RangeError && /`threads`.*got `0`/.test(e.message));
  assert.throws(() => simulate(strategy, { threads: 1.5 }), RangeError);
  assert.throws(() => simulate(strategy, { threads: 1, costs: { a: -1 } }), (e: unknown) => e instanceof RangeError && /costs\.a.*-1/.test(e.message));
  assert.throws(() => simulate(strategy, { threads: 1, costs: { a: Infinity } }), RangeError);
  assert.throws(() => simulate(strategy, { threads: 1, costs: { ghost: 1 } }), (e: unknown) => e instanceof StrategyValidationError && /ghost/.test(e.message));
  // @ts-expect-error: not a mode
  assert.throws(() => simulate(strategy, { threads: 1, scheduling: "fast" }), TypeError);
});

test("a live run dispatches steps in the order simulate predicts", async () => {
  // Costs give the simulation distinct ends (25, 60, 70, 80, 85, 115); each agent then ends in its
  // turn in that order, once the main thread has reported the ends before it (a counter in shared
  // memory that onEvent bumps, not a timer), so every decision the live scheduler makes sees the ends
  // the simulation saw, however fast the machine is.
  const cost = { a: 60, b: 25, c: 45, d: 20, e: 35, f: 15 } as const;
  const reads: Record<keyof typeof cost, string> = { a: "", b: "", c: "{{ b }}", d: "", e: "{{ d }}", f: "{{ a }} {{ c }}" };
  const plan = strategyOf(...(Object.keys(cost) as (keyof typeof cost)[]).map((id) => [id, "InTurn", `turn ? ${reads[id]}`, id, { cost: cost[id] }] as [string, string, string, string, { cost: number }]));
  const simulated = simulate(plan, { threads: 2 });
  const ends = [...simulated.schedule].sort((x, y) => x.end - y.end);
  assert.deepEqual(ends.map((s) => s.end), [25, 60, 70, 80, 85, 115]);
  const turn = new Map(ends.map((s, k) => [s.stepId, k]));
  const strategy = strategyOf(...(Object.keys(cost) as (keyof typeof cost)[]).map((id) => [id, "InTurn", `turn ${turn.get(id)} ${reads[id]}`, id, { cost: cost[id] }] as [string, string, string, string, { cost: number }]));
  const predicted = simulate(strategy, { threads: 2 }).schedule.map((s) => s.stepId);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(2)).addAgent("InTurn", { module: agent("in-turn"), options: { cell } });
  after(() => o.close());
  const order: string[] = [];
  const result = await o.execute("t", {
    onEvent: (e) => {
      if (e.type === "step:start") order.push(e.stepId);
      if (e.type === "step:end") {
        Atomics.add(cell, 0, 1);
        Atomics.notify(cell, 0);
      }
    },
  });
  assert.equal(result.success, true, JSON.stringify(result.error));
  assert.deepEqual(order, predicted);
  assert.deepEqual(result.steps.map((s) => result.context.get(s.stepId)), result.steps.map((s) => turn.get(s.stepId)));
});

test("learned costs: measured durations change the order of a later run, and plan() uses them", async () => {
  // No cost options: the first run goes in definition order; the second puts the slowest first.
  const strategy = strategyOf(["quick", "Spin", "spin 10"], ["medium", "Spin", "spin 60"], ["slow", "Spin", "spin 150"]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(1)).addAgent("Spin", agent("spin"));
  after(() => o.close());
  const orderOf = async () => {
    const order: string[] = [];
    await o.execute("t", { onEvent: (e) => e.type === "step:start" && order.push(e.stepId) });
    return order;
  };
  assert.deepEqual(await orderOf(), ["quick", "medium", "slow"]);
  assert.deepEqual([...o.learnedCosts.keys()].sort(), ["medium", "quick", "slow"]);
  assert.ok(o.learnedCosts.get("slow")! > o.learnedCosts.get("medium")! && o.learnedCosts.get("medium")! > o.learnedCosts.get("quick")!);
  assert.deepEqual(await orderOf(), ["slow", "medium", "quick"]);
  assert.deepEqual(o.plan().criticalPath, ["slow"]);
  assert.deepEqual(o.simulate({ threads: 1 }).schedule.map((s) => s.stepId), ["slow", "medium", "quick"]);
  assert.equal(strategy.plan().criticalPathCost, 1, "the strategy itself still has unit costs");
});
