// A run starts on the threads that are up: the orchestrator's pool starts as many threads as there
// are cores, the run dispatches once one of them has loaded its agents, and the other threads start
// while it runs, each loading the agents before it takes a step. Preflight still stops a run with an
// agent that does not load before any step starts (test/agents.test.ts, test/bounded.test.ts).
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { after, test } from "node:test";
import { ParallelOrchestrator } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

test("the first step starts before the threads beyond the cores do; the pool then grows to its size for the run", async () => {
  const cores = availableParallelism();
  const threads = cores + 3;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  // Every step waits for all the others: the run completes only with `threads` threads at once.
  const rows = Array.from({ length: threads }, (_, i) => [`b${i}`, "Barrier", "wait"] as [string, string, string]);
  const o = new ParallelOrchestrator(strategyOf(...rows), { threads }).addAgent("Barrier", { module: agent("barrier"), options: { cell, parties: threads } });
  after(() => o.close());
  let atFirstStart = -1;
  const result = await o.execute("t", {
    onEvent: (e) => {
      if (e.type === "step:start" && atFirstStart < 0) atFirstStart = o.poolThreads;
    },
  });
  assert.equal(atFirstStart, cores, "threads beyond the cores had not started when the first step did");
  assert.equal(result.success, true);
  assert.deepEqual(result.steps.map((s) => s.stepId).filter((_, i) => result.context.get(`b${i}_out`) !== true), [], "every step saw all the others arrive");
  assert.equal(new Set(result.steps.map((s) => s.threadId)).size, threads);
  assert.equal(o.poolThreads, threads);
});
