// Timeouts stop CPU work: a busy loop's thread is terminated, dependents skipped, the rest goes on,
// the pool comes back to full size, and the clock only starts when the step starts on its thread.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Piscina } from "piscina";
import { ParallelOrchestrator, ParallelOrchestratorConfig } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

test("a busy loop past its timeout is terminated; dependents skipped; independent branch completes", async () => {
  const strategy = strategyOf(
    ["hang", "Spin", "spin forever", "hung", { timeoutMs: 200 }],
    ["after_hang", "Echo", "{{ hung }}"],
    ["after_after", "Echo", "{{ after_hang_out }}"],
    ["free", "Echo", "independent"],
    ["free_next", "Echo", "{{ free_out.intent }} too"],
  );
  const o = new ParallelOrchestrator(strategy, { threads: 2 }).addAgent("Spin", agent("spin")).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("t");
  const byId = Object.fromEntries(result.steps.map((s) => [s.stepId, s]));
  assert.equal(result.success, false);
  assert.equal(byId.hang!.status, "timed_out");
  assert.equal(byId.hang!.error?.name, "StepTimeoutError");
  assert.equal(byId.hang!.error?.code, "WAVEPOOL_STEP_TIMEOUT");
  assert.match(byId.hang!.error!.message, /step hang \(agent Spin\) ran past its 200 ms timeout/);
  assert.ok(byId.hang!.threadId > 0);
  assert.ok(byId.hang!.durationMs >= 150, `${byId.hang!.durationMs}`);
  assert.equal(byId.after_hang!.status, "skipped");
  assert.equal(byId.after_after!.status, "skipped");
  assert.equal(byId.free!.status, "completed");
  assert.equal(byId.free_next!.status, "completed");
  assert.equal((result.context.get("free_next_out") as { intent: string }).intent, "independent too");
  assert.equal(result.context.has("hung"), false);
  assert.equal(result.error?.code, "WAVEPOOL_STEP_TIMEOUT");
});

test("the config's step timeout applies to every step; a step's own timeout wins", async () => {
  const strategy = strategyOf(["slow", "Spin", "spin 400"], ["patient", "Spin", "spin 400", undefined, { timeoutMs: 20_000 }]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withStepTimeout(100).withThreads(2))
    .addAgent("Spin", agent("spin"));
  after(() => o.close());
  const result = await o.execute("t");
  assert.deepEqual(result.steps.map((s) => s.status), ["timed_out", "completed"]);
});

test("the pool is healthy after many timeouts: full size, and the next run succeeds", async () => {
  const pool = new Piscina({ minThreads: 2, maxThreads: 2, idleTimeout: Infinity });
  after(() => pool.destroy());
  const strategy = strategyOf(["h1", "Spin", "spin forever"], ["h2", "Spin", "spin forever"]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withPool(pool).withStepTimeout(50))
    .addAgent("Spin", agent("spin"));
  after(() => o.close());
  for (let round = 0; round < 8; round++) {
    const result = await o.execute("t");
    assert.deepEqual(result.steps.map((s) => s.status), ["timed_out", "timed_out"]);
  }
  const cells = new Int32Array(new SharedArrayBuffer(8));
  const healthy = new ParallelOrchestrator(strategyOf(["a", "Counter", "a"], ["b", "Counter", "b"], ["c", "Counter", "c"], ["d", "Counter", "d"]),
    new ParallelOrchestratorConfig().withPool(pool)).addAgent("Counter", { module: agent("counter"), options: { cells, ms: 150 } });
  const result = await healthy.execute("t");
  assert.equal(result.success, true);
  assert.equal(pool.threads.length, 2);
  assert.equal(new Set(result.steps.map((s) => s.threadId)).size, 2, "both threads served steps");
  await healthy.close();
  assert.equal(pool.threads.length, 2, "close() leaves a pool given with withPool open");
});

test("time spent queued in the pool does not count against a step's timeout", async () => {
  // One thread, no concurrency limit of ours: `waits` sits in Piscina's queue while `busy` spins 600 ms.
  // Its 400 ms timeout must be measured from when it starts, so it completes.
  const strategy = strategyOf(["busy", "Spin", "spin 600"], ["waits", "Sleep", "sleep 20", undefined, { timeoutMs: 400 }]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(1).withUnlimitedConcurrency())
    .addAgent("Spin", agent("spin")).addAgent("Sleep", agent("sleep"));
  after(() => o.close());
  const result = await o.execute("t");
  assert.deepEqual(result.steps.map((s) => s.status), ["completed", "completed"]);
  const [busy, waits] = result.steps;
  assert.ok(waits!.startedAt! >= busy!.endedAt!, "the second step started only after the first freed the thread");
});
