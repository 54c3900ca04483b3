// Steps measured to take next to nothing may wait on a thread behind each other (src/pool/
// pool-balancer.ts): never behind a step that takes longer, and a step that kills its thread costs
// the steps waiting there nothing (they are sent again, not counted). A run's first steps, never
// measured, are not stacked: their order is simulate's (test/simulate.test.ts).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ParallelOrchestrator } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

test("a step that kills its thread fails alone: the tiny steps stacked behind it are sent again, not counted", async () => {
  // `first` goes first (its cost) and reads the task: "boom" in the second run kills its thread.
  const rows: Parameters<typeof strategyOf> = [["first", "ExitsOn", "{{ task }}", "first", { cost: 1000 }]];
  for (let k = 0; k < 150; k++) rows.push([`t${k}`, "ExitsOn", `t${k}`]);
  const o = new ParallelOrchestrator(strategyOf(...rows), { threads: 2 }).addAgent("ExitsOn", agent("exits-on"));
  after(() => o.close());
  // The first run measures the steps: they take next to nothing, and the second run stacks them
  // (whether one is measured above the threshold on a loaded machine changes nothing below).
  assert.equal((await o.execute("fine")).success, true);
  const result = await o.execute("boom");
  const [first, ...rest] = result.steps;
  assert.equal(first!.status, "failed");
  assert.equal(first!.error?.name, "WorkerCrashedError");
  assert.equal(first!.attempts, 1);
  assert.deepEqual(rest.filter((s) => s.status !== "completed" || s.attempts !== 1).map((s) => [s.stepId, s.status, s.attempts]), []);
  assert.deepEqual(rest.map((s) => result.context.get(`${s.stepId}_out`)), rest.map((s) => s.stepId));
});

test("a tiny step never waits on a thread behind a step that takes longer", async () => {
  const rows: Parameters<typeof strategyOf> = [["slow", "Spin", "spin 300"]];
  for (let k = 0; k < 60; k++) rows.push([`t${k}`, "Echo", `t${k}`]);
  const o = new ParallelOrchestrator(strategyOf(...rows), { threads: 2 }).addAgent("Spin", agent("spin")).addAgent("Echo", agent("echo"));
  after(() => o.close());
  assert.equal((await o.execute("t")).success, true);
  // Now the orchestrator knows: `slow` takes 300 ms, the others next to nothing.
  const result = await o.execute("t");
  assert.equal(result.success, true);
  const [slow, ...tiny] = result.steps;
  const late = tiny.filter((s) => s.endedAt! > slow!.endedAt!).map((s) => s.stepId);
  assert.deepEqual(late, [], "tiny steps that ended after the slow one waited behind it");
});
