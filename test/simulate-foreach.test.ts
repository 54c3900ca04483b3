// simulate() with dynamic steps: a forEach step runs as its items (`costs["<id>[*]"]`), scheduled
// like steps under forEachConcurrency, dependents after all of them; makespans and lower bounds
// against hand computations; when and repeat steps; bad costs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StrategyMap, StrategyStep, StrategyValidationError, simulate, type Scheduling, type StrategyStepOptions } from "wavepool";

const step = (id: string, intent: string, output: string, options?: StrategyStepOptions) => new StrategyStep(id, undefined, "A", intent, output, options);

/** plan -> research (forEach) -> review; `options` go to research. */
function fanOut(options: StrategyStepOptions = {}): StrategyMap {
  return new StrategyMap("fan-out")
    .addStep(step("plan", "x", "outline"))
    .addStep(step("research", "{{ item }}", "notes", { forEach: "outline.topics", ...options }))
    .addStep(step("review", "{{ notes }}", "review"));
}

const rows = (sim: ReturnType<typeof simulate>) => sim.schedule.map((s) => `${s.stepId}@${s.thread} ${s.start}-${s.end}`);

test("a fan-out of 5 items costing 2 on 2 threads: items two by two, the dependent after the last", () => {
  const sim = simulate(fanOut(), { threads: 2, costs: { "research[*]": { items: 5, cost: 2 } } });
  assert.deepEqual(rows(sim), [
    "plan@0 0-1",
    "research[0]@0 1-3", "research[1]@1 1-3",
    "research[2]@0 3-5", "research[3]@1 3-5",
    "research[4]@0 5-7",
    "review@0 7-8",
  ]);
  // By hand: 1 + ceil(5 / 2) * 2 + 1 = 8 on the critical path; work 1 + 10 + 1 = 12, over 2 threads 6.
  assert.equal(sim.makespan, 8);
  assert.equal(sim.lowerBound, 8);
});

test("forEachConcurrency holds a step's items back even when threads are free", () => {
  const sim = simulate(fanOut({ forEachConcurrency: 2 }), { threads: 8, costs: { "research[*]": { items: 5, cost: 2 } } });
  const items = sim.schedule.filter((s) => s.stepId.startsWith("research["));
  for (const at of items) {
    const overlapping = items.filter((o) => o.start < at.end && at.start < o.end);
    assert.ok(overlapping.length <= 2, `at most 2 items at once, got ${overlapping.length} around ${at.stepId}`);
  }
  assert.deepEqual(items.map((s) => s.start), [1, 1, 3, 3, 5]);
  // By hand: the same 8 as on two threads, though 8 are there: ceil(5 / min(2, 8)) * 2 = 6 for the fan-out.
  assert.equal(sim.makespan, 8);
  assert.equal(sim.lowerBound, 8);
  // Without the limit, 8 threads run all 5 items at once: 1 + 2 + 1.
  const free = simulate(fanOut(), { threads: 8, costs: { "research[*]": { items: 5, cost: 2 } } });
  assert.equal(free.makespan, 4);
  assert.equal(free.lowerBound, 4);
});

test("the lower bound counts every item in the work: many cheap items on few threads", () => {
  const map = fanOut();
  map.addStep(step("side", "x", "side_out", { cost: 3 }));
  const sim = simulate(map, { threads: 2, costs: { "research[*]": { items: 12, cost: 1 } } });
  // By hand: work = plan 1 + 12 items + review 1 + side 3 = 17, over 2 threads 8.5; the critical
  // path 1 + ceil(12 / 2) * 1 + 1 = 8 is shorter: the bound is the work's.
  assert.equal(sim.lowerBound, 8.5);
  // plan and side start at 0; one item a time on thread 0 until side ends at 3, then two at a time:
  // items end at 2, 3, 4 (two), 5, 6, 7, 8 (two each), review 8-9.
  assert.equal(sim.makespan, 9);
  assert.equal(sim.schedule.length, 1 + 12 + 1 + 1);
  assert.deepEqual(sim.schedule.at(-1), { stepId: "review", thread: 0, start: 8, end: 9 });
});

test("items are equal-priority siblings: a costlier branch's step goes before them, items in index order", () => {
  const map = new StrategyMap("g")
    .addStep(step("plan", "x", "outline"))
    .addStep(step("fan", "{{ item }}", "notes", { forEach: "outline.topics" }))
    .addStep(step("long", "{{ outline }}", "long_out", { cost: 10 }));
  const sim = simulate(map, { threads: 1, costs: { "fan[*]": { items: 3, cost: 1 } } });
  assert.deepEqual(sim.schedule.map((s) => s.stepId), ["plan", "long", "fan[0]", "fan[1]", "fan[2]"]);
});

test("defaults: one item costing what the step would; costs[id] sets that cost; zero items complete at once", () => {
  const one = simulate(fanOut({ cost: 4 }), { threads: 2 });
  assert.deepEqual(rows(one), ["plan@0 0-1", "research[0]@0 1-5", "review@0 5-6"]);
  const priced = simulate(fanOut(), { threads: 2, costs: { research: 3, "research[*]": { items: 2 } } });
  assert.deepEqual(rows(priced), ["plan@0 0-1", "research[0]@0 1-4", "research[1]@1 1-4", "review@0 4-5"]);
  const none = simulate(fanOut(), { threads: 2, costs: { "research[*]": { items: 0 } } });
  assert.deepEqual(rows(none), ["plan@0 0-1", "review@0 1-2"]);
  assert.equal(none.lowerBound, 2);
  // A chain of empty fan-outs settles at once, however long.
  const chain = new StrategyMap("chain").addStep(step("s0", "x", "o0"));
  const costs: Record<string, { items: number }> = {};
  for (let i = 1; i <= 20_000; i++) {
    chain.addStep(step(`s${i}`, "{{ item }}", `o${i}`, { forEach: `o${i - 1}` }));
    costs[`s${i}[*]`] = { items: 0 };
  }
  chain.addStep(step("end", "{{ o20000 }}", "end_out"));
  assert.deepEqual(simulate(chain, { threads: 1, costs }).schedule.map((s) => s.stepId), ["s0", "end"]);
});

test("waves scheduling: items wait for their level like steps, and the level waits for all items", () => {
  const map = fanOut();
  map.addStep(step("other", "x", "other_out", { cost: 5 }));
  for (const scheduling of ["eager", "waves"] as Scheduling[]) {
    const sim = simulate(map, { threads: 4, scheduling, costs: { "research[*]": { items: 3, cost: 2 } } });
    const at = new Map(sim.schedule.map((s) => [s.stepId, s]));
    for (const k of [0, 1, 2]) assert.ok(at.get(`research[${k}]`)!.start >= at.get("plan")!.end);
    assert.ok(at.get("review")!.start >= Math.max(...[0, 1, 2].map((k) => at.get(`research[${k}]`)!.end)));
    if (scheduling === "waves") assert.ok(at.get("research[0]")!.start >= at.get("other")!.end, "the barrier holds items too");
  }
});

test("when steps are assumed to run; a repeat step is one task of costs[id], all its iterations", () => {
  const map = new StrategyMap("g")
    .addStep(step("a", "x", "review"))
    .addStep(step("b", "{{ review }}", "fix", { when: "review.score < 0.8", cost: 2 }))
    .addStep(step("c", "{{ previous }} {{ fix }}", "final", { repeat: { until: "final.ok", maxIterations: 5 } }));
  assert.deepEqual(rows(simulate(map, { threads: 1 })), ["a@0 0-1", "b@0 1-3", "c@0 3-4"]);
  assert.deepEqual(rows(simulate(map, { threads: 1, costs: { c: 9 } })), ["a@0 0-1", "b@0 1-3", "c@0 3-12"]);
});

test("bad fan-out costs are refused at their key", () => {
  const map = fanOut();
  assert.throws(() => simulate(map, { threads: 1, costs: { "plan[*]": { items: 2 } } }), (e: unknown) =>
    e instanceof StrategyValidationError && e.path === "costs.plan[*]" && /step plan has no forEach; give its cost as costs\["plan"\]/.test(e.message));
  assert.throws(() => simulate(map, { threads: 1, costs: { "nope[*]": { items: 2 } } }), (e: unknown) =>
    e instanceof StrategyValidationError && e.path === "costs.nope[*]");
  assert.throws(() => simulate(map, { threads: 1, costs: { "research[*]": 3 } }), TypeError);
  assert.throws(() => simulate(map, { threads: 1, costs: { "research[*]": { items: 1.5 } } }), /integer from 0 and up, got `1\.5`/);
  assert.throws(() => simulate(map, { threads: 1, costs: { "research[*]": { items: 2, cost: -1 } } }), RangeError);
  // @ts-expect-error: not a key of ForEachCost
  assert.throws(() => simulate(map, { threads: 1, costs: { "research[*]": { itmes: 2 } } }), /only items and cost, got `itmes`/);
  assert.throws(() => simulate(map, { threads: 1, costs: { research: { items: 2 } } as never }), RangeError);
});
