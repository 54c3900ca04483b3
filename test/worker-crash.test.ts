// Dying workers: process.exit, an uncaught error in a timer, out of memory. Each fails only its own
// step with WorkerCrashedError; the pool replaces the thread and the next run works at full size.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Piscina } from "piscina";
import { ParallelOrchestrator, ParallelOrchestratorConfig } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

for (const [what, fixture, message] of [
  ["process.exit() in the agent", "exit", /worker exited with code: 7/],
  ["an uncaught error thrown from a timer", "timer-throw", /uncaught in a timer/],
] as const) {
  test(`${what} fails only its step with WorkerCrashedError`, async () => {
    const pool = new Piscina({ minThreads: 2, maxThreads: 2, idleTimeout: Infinity });
    after(() => pool.destroy());
    const strategy = strategyOf(["dies", "Dies", "x", "dead"], ["after", "Echo", "{{ dead }}"], ["other", "Echo", "fine"], ["other2", "Echo", "{{ other_out.intent }}"]);
    const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withPool(pool))
      .addAgent("Dies", agent(fixture)).addAgent("Echo", agent("echo"));
    after(() => o.close());
    const result = await o.execute("t");
    const [dies, afterIt, other, other2] = result.steps;
    assert.equal(dies!.status, "failed");
    assert.equal(dies!.error?.name, "WorkerCrashedError");
    assert.equal(dies!.error?.code, "WAVEPOOL_WORKER_CRASHED");
    assert.match(dies!.error!.message, message);
    assert.match(dies!.error!.message, /step dies \(agent Dies\)/);
    assert.equal(afterIt!.status, "skipped");
    assert.deepEqual([other!.status, other2!.status], ["completed", "completed"]);
    const again = await o.execute("t");
    assert.equal(again.steps[2]!.status, "completed");
    assert.equal(pool.threads.length, 2, "the pool is back at full size");
  });
}

test("running out of memory under withResourceLimits fails the step; cause keeps ERR_WORKER_OUT_OF_MEMORY", async () => {
  const strategy = strategyOf(["hog", "Oom", "x"], ["fine", "Echo", "y"]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(2).withResourceLimits({ maxOldGenerationSizeMb: 32 }))
    .addAgent("Oom", agent("oom")).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("t");
  const [hog, fine] = result.steps;
  assert.equal(hog!.status, "failed");
  assert.equal(hog!.error?.name, "WorkerCrashedError");
  assert.match(hog!.error!.message, /ERR_WORKER_OUT_OF_MEMORY/);
  assert.equal(fine!.status, "completed");
  assert.equal(hog!.error?.cause?.code, "ERR_WORKER_OUT_OF_MEMORY");
  assert.equal(result.error?.code, "WAVEPOOL_WORKER_CRASHED");
  const again = await o.execute("t");
  assert.equal(again.steps[1]!.status, "completed");
});

test("a crashed step is retried on a fresh thread when retries are configured", async () => {
  const o = new ParallelOrchestrator(strategyOf(["dies", "Dies", "x"]), new ParallelOrchestratorConfig().withThreads(1).withRetries({ attempts: 2, backoffMs: 1 }))
    .addAgent("Dies", agent("exit"));
  after(() => o.close());
  const result = await o.execute("t");
  const h = result.steps[0]!.history;
  assert.deepEqual(h.map((a) => a.status), ["failed", "failed"]);
  assert.notEqual(h[0]!.threadId, h[1]!.threadId, "the second attempt ran on the replacement thread");
});
