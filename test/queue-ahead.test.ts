// Queueing steps ahead in the pool never changes which step a thread gets: a model of the live loop
// (the run hands steps to a first-in-first-out pool queue, up to one waiting per thread, as
// src/run/run.ts does; the pool gives a freed thread its queue's head before the run hears of the
// end) starts steps in exactly the order and at exactly the times `simulate` predicts, on random
// graphs, in both scheduling modes. Pure: no threads, a virtual clock.
import assert from "node:assert/strict";
import { test } from "node:test";
import { simulate, StrategyMap, StrategyStep, type Scheduling } from "wavepool";
import { bottomLevels } from "../src/graph/critical-path.js";
import { nextSteps } from "../src/schedule/next-steps.js";
import { priorityRule } from "../src/schedule/priority.js";
import { aheadStep, AheadGuard } from "../src/schedule/queue-ahead.js";
import { ReadyQueue } from "../src/schedule/ready-queue.js";
import { seededRandom } from "../benchmarks/random-dag.js";


/** A random DAG with costs that are never equal (no two steps end at the same instant). */
function randomDag(n: number, seed: number): { strategy: StrategyMap; costs: Record<string, number> } {
  const rand = seededRandom(seed);
  const strategy = new StrategyMap(`random ${seed}`);
  const costs: Record<string, number> = {};
  const fanIn = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const deps = new Set<string>();
    for (let k = 0; i > 0 && k < fanIn; k++) if (rand() < 0.6) deps.add(`s${Math.floor(rand() * i)}`);
    strategy.addStep(new StrategyStep(`s${i}`, "", "X", "x", `o${i}`, { dependsOn: [...deps] }));
    costs[`s${i}`] = 1 + rand() * 20;
  }
  return { strategy, costs };
}

interface Start {
  stepId: string;
  start: number;
}

/** The live loop with queue-ahead, on a virtual clock: the order and times at which threads start steps. */
function liveModel(strategy: StrategyMap, costs: Record<string, number>, threads: number, mode: Scheduling): Start[] {
  const graph = strategy.graph();
  const cost = graph.steps.map((s) => costs[s.stepId]!);
  const before = priorityRule(mode, { bottomLevel: bottomLevels(graph, (i) => cost[i]!), level: graph.level });
  const ready = new ReadyQueue(before);
  const guard = new AheadGuard(before, graph.dependents);
  const waiting = Int32Array.from(graph.deps, (d) => d.length);
  const unsettled = graph.waves.map((w) => w.length);
  let openLevel = 0;
  for (let i = 0; i < graph.steps.length; i++) if (waiting[i] === 0) ready.push(i);
  const poolQueue: number[] = [];
  const running: { step: number; end: number }[] = [];
  const starts: Start[] = [];
  let inPool = 0;
  let now = 0;
  const startFromQueue = (): void => {
    while (running.length < threads && poolQueue.length > 0) {
      const i = poolQueue.shift()!;
      running.push({ step: i, end: now + cost[i]! });
      starts.push({ stepId: graph.steps[i]!.stepId, start: now });
    }
  };
  const hand = (i: number): void => {
    guard.add(i);
    inPool++;
    poolQueue.push(i);
    startFromQueue();
  };
  const pump = (): void => {
    for (;;) {
      const state = { mode, ready, running: inPool, limit: threads, level: graph.level, openLevel };
      const picked = nextSteps(state);
      if (picked.length > 0) {
        for (const i of picked) hand(i);
        continue;
      }
      const ahead = aheadStep({ ...state, limit: 2 * threads }, guard);
      if (ahead === undefined) return;
      hand(ahead);
    }
  };
  pump();
  while (running.length > 0) {
    running.sort((a, b) => a.end - b.end);
    const { step, end } = running.shift()!;
    now = end;
    // The pool gives the freed thread its queue's head before the run hears of the end.
    startFromQueue();
    guard.remove(step);
    inPool--;
    if (--unsettled[graph.level[step]!]! === 0) while (unsettled[openLevel] === 0) openLevel++;
    for (const d of graph.dependents[step]!) if (--waiting[d]! === 0) ready.push(d);
    pump();
  }
  return starts;
}

for (const mode of ["eager", "waves"] as Scheduling[]) {
  test(`${mode}: threads start steps in simulate's order and at its times with one step queued per thread (300 random graphs)`, () => {
    let queuedAhead = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const rand = seededRandom(seed * 7919);
      const threads = 1 + Math.floor(rand() * 4);
      const { strategy, costs } = randomDag(10 + Math.floor(rand() * 60), seed);
      const predicted = simulate(strategy, { threads, costs, scheduling: mode }).schedule;
      const live = liveModel(strategy, costs, threads, mode);
      assert.deepEqual(live.map((s) => s.stepId), predicted.map((s) => s.stepId), `seed ${seed}, ${threads} threads`);
      live.forEach((s, k) => assert.ok(Math.abs(s.start - predicted[k]!.start) < 1e-9, `seed ${seed}: ${s.stepId} starts at ${s.start}, simulated ${predicted[k]!.start}`));
      queuedAhead += live.length;
    }
    assert.ok(queuedAhead > 0);
  });
}

test("independent steps always wait in the pool; a step never waits behind one its scheduler would rank below a dependent in flight", () => {
  // a (long chain head) -> c (critical); b independent and low: b may not wait in the pool while a
  // runs, because c, ready when a ends, outranks it.
  const before = (x: number, y: number): boolean => x < y; // lower index first
  const guard = new AheadGuard(before, [[1], [], []]);
  guard.add(0);
  assert.equal(guard.allows(2), false, "c (1) outranks b (2)");
  guard.remove(0);
  assert.equal(guard.allows(2), true);
  const independent = new AheadGuard(before, [[], [], []]);
  independent.add(0);
  independent.add(1);
  assert.equal(independent.allows(2), true);
});

test("a repeat step in flight may become ready again: nothing it outranks waits in the pool meanwhile", () => {
  // Steps 0 and 1 independent; 0 ranks first. Without `again`, 1 may wait behind 0 in flight.
  const before = priorityRule("eager", { bottomLevel: [5, 3], level: [0, 0] });
  const plain = new AheadGuard(before, [[], []]);
  plain.add(0);
  assert.equal(plain.allows(1), true);
  const repeating = new AheadGuard(before, [[], []], { again: (i) => i === 0 });
  repeating.add(0);
  assert.equal(repeating.allows(1), false, "0's next iteration would go first");
  repeating.remove(0);
  assert.equal(repeating.allows(1), true);
});
