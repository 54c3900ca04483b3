// A burst of step ends (a thread's MessagePort hands over every message it holds in one go) is
// applied in bounded slices of the event loop, in arrival order (src/run/end-queue.ts).
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ParallelOrchestrator, ParallelOrchestratorConfig, type RunEvent } from "wavepool";
import { EndQueue, END_SLICE_MS } from "../src/run/end-queue.js";
import { agent, strategyOf } from "./helpers.js";

test("ends pushed past the budget wait for the next turn of the loop, and are applied in order", async () => {
  const applied: string[] = [];
  const queue = new EndQueue<string, number>((a, b) => applied.push(`${a}${b}`), { budgetMs: 0, gapMs: Infinity });
  queue.push("a", 1);
  queue.push("b", 2);
  queue.push("c", 3);
  assert.deepEqual(applied, ["a1"], "the first end of a slice is applied at once");
  assert.equal(queue.waiting, 2);
  let turned = false;
  setImmediate(() => (turned = true));
  // An end that arrives while others wait goes behind them, whatever the time.
  queue.push("d", 4);
  await new Promise<void>((resolve) => {
    const check = (): void => (queue.waiting === 0 ? resolve() : void setImmediate(check));
    check();
  });
  assert.equal(turned, true, "the loop turned before the waiting ends were applied");
  assert.deepEqual(applied, ["a1", "b2", "c3", "d4"]);
});

test("within the budget, ends are applied as they come, with no turn of the loop", () => {
  const applied: number[] = [];
  const queue = new EndQueue<number, undefined>((a) => applied.push(a), { budgetMs: Infinity, gapMs: Infinity });
  for (let k = 0; k < 100; k++) queue.push(k, undefined);
  assert.equal(applied.length, 100);
  assert.equal(queue.waiting, 0);
});

test("a run's ends that arrive in one burst leave the event loop a turn once the slice is used up", async () => {
  // One thread, every step handed to the pool at once: the pool sends the next step as it hears of an
  // end, so while the first end's listener holds the main thread, the next steps end on the thread
  // and their answers wait together in its port.
  const cells = new Int32Array(new SharedArrayBuffer(4));
  const strategy = strategyOf(["s0", "Count", "x"], ["s1", "Count", "x", "s1_out", { dependsOn: [] }], ["s2", "Count", "x", "s2_out", { dependsOn: [] }]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(1).withUnlimitedConcurrency())
    .addAgent("Count", { module: agent("count-ends"), options: { cells } });
  after(() => o.close());
  const ends: string[] = [];
  let turnedAt = -1;
  const onEvent = (event: RunEvent): void => {
    if (event.type !== "step:end") return;
    ends.push(event.stepId);
    if (ends.length !== 1) return;
    setImmediate(() => (turnedAt = ends.length));
    // Hold the main thread until the next step has ended on its thread, and past the slice's budget.
    for (let seen = Atomics.load(cells, 0); seen < 2; seen = Atomics.load(cells, 0)) Atomics.wait(cells, 0, seen, 1000);
    const until = Date.now() + 4 * END_SLICE_MS;
    while (Date.now() < until);
  };
  const result = await o.execute("t", { onEvent });
  assert.equal(result.success, true);
  assert.deepEqual([...ends].sort(), ["s0", "s1", "s2"]);
  assert.equal(turnedAt, 1, `the loop turned right after the first end (at ${turnedAt} ends applied), before the ends that waited in the port`);
});
