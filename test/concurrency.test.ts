// maxConcurrentTasks is enforced (the seed documents it but never does), in eager and waves mode.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ParallelOrchestrator, ParallelOrchestratorConfig, type Scheduling } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

for (const mode of ["eager", "waves"] as Scheduling[]) {
  test(`${mode}: steps in flight never exceed maxConcurrentTasks, even with more threads`, async () => {
    const cells = new Int32Array(new SharedArrayBuffer(8));
    const rows = Array.from({ length: 12 }, (_, i) => [`s${i}`, "Counter", i < 6 ? "x" : `{{ s${i - 6}_out }}`] as [string, string, string]);
    const o = new ParallelOrchestrator(strategyOf(...rows), new ParallelOrchestratorConfig().withThreads(3).withMaxConcurrentTasks(2).withScheduling(mode))
      .addAgent("Counter", { module: agent("counter"), options: { cells, ms: 10, meet: 2 } });
    after(() => o.close());
    let inFlight = 0;
    let maxInFlight = 0;
    const result = await o.execute("t", {
      onEvent: (e) => {
        if (e.type === "step:start") maxInFlight = Math.max(maxInFlight, ++inFlight);
        if (e.type === "step:end") inFlight--;
      },
    });
    assert.equal(result.success, true);
    assert.ok(Atomics.load(cells, 1) <= 2, `agents saw ${Atomics.load(cells, 1)} at once`);
    assert.equal(Atomics.load(cells, 1), 2, "the limit is also reached");
    assert.equal(maxInFlight, 2);
  });
}

test("the default limit is the pool size", async () => {
  const cells = new Int32Array(new SharedArrayBuffer(8));
  const rows = Array.from({ length: 6 }, (_, i) => [`s${i}`, "Counter", "x"] as [string, string, string]);
  // Each step waits for a second one in flight: two run at once on any machine, and never three.
  const o = new ParallelOrchestrator(strategyOf(...rows), { threads: 2 }).addAgent("Counter", { module: agent("counter"), options: { cells, ms: 10, meet: 2 } });
  after(() => o.close());
  assert.equal((await o.execute("t")).success, true);
  assert.equal(Atomics.load(cells, 1), 2);
});

test("eager starts a step as soon as its inputs exist, while a step of the wave before still runs", async () => {
  // A waits (on a shared cell) until C has started; B is quick and C reads B. Only a scheduler that
  // starts C while A runs completes A with true, however slowly the machine starts its threads.
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const strategy = strategyOf(["A", "Barrier", "a", "a"], ["B", "Echo", "b", "b"], ["C", "Barrier", "{{ b }}", "c"]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(2).withScheduling("eager"))
    .addAgent("Barrier", { module: agent("barrier"), options: { cell, parties: 2 } }).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("t");
  assert.deepEqual(result.waves, [["A", "B"], ["C"]]);
  assert.equal(result.context.get("a"), true, "A saw C start while it ran");
  const [a, , c] = result.steps;
  assert.ok(c!.startedAt! < a!.endedAt!);
});

test("waves keeps the barrier: a step of the next wave waits for the whole wave before", async () => {
  const strategy = strategyOf(["A", "Spin", "spin 400", "a"], ["B", "Echo", "b", "b"], ["C", "Echo", "{{ b }}", "c"]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(2).withScheduling("waves"))
    .addAgent("Spin", agent("spin")).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("t");
  const [a, , c] = result.steps;
  assert.deepEqual(result.waves, [["A", "B"], ["C"]]);
  assert.ok(c!.startedAt! >= a!.endedAt!, "waves: C waits for the whole first wave");
});

test("eager dispatches the ready step with the longest remaining critical path first", async () => {
  const strategy = strategyOf(
    ["short", "Echo", "s", "s", { cost: 1 }],
    ["long", "Echo", "l", "l", { cost: 10 }],
    ["mid", "Echo", "m", "m", { cost: 5 }],
    ["tail", "Echo", "{{ s }}", "t", { cost: 20 }],
  );
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(1).withMaxConcurrentTasks(1))
    .addAgent("Echo", agent("echo"));
  after(() => o.close());
  const order: string[] = [];
  await o.execute("t", { onEvent: (e) => e.type === "step:start" && order.push(e.stepId) });
  assert.deepEqual(order, ["short", "tail", "long", "mid"]);
});
