// Blame lands where it belongs: an agent that returns but leaves a timer that throws, or a
// rejection nobody handles, does not fail the next, innocent step on its thread. The error is a
// warning on the step that left it, and a thread that went through an uncaught exception is
// replaced before it runs another step.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Piscina } from "piscina";
import { ParallelOrchestrator } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

for (const [what, intent, warning, recycled] of [
  ["a timer that throws", "timer", /step leaves \(agent Leaves\) left an exception thrown from a timer or callback after it ended: Error: thrown by a timer after the step returned; its thread is replaced/, true],
  ["a rejection nobody handles", "rejection", /step leaves \(agent Leaves\) left a promise rejection nobody handled after it ended: Error: left unhandled after the step/, false],
] as const) {
  test(`${what} left behind by a step is a warning on that step, not the failure of the next one`, async () => {
    // One thread: the next steps run where the leftover fires (the first that waits for a timer of
    // its own lets the event loop turn; until then the idle thread runs no timers at all).
    const strategy = strategyOf(
      ["leaves", "Leaves", intent],
      ["innocent", "Sleep", "sleep 20 after {{ leaves_out.threadId }}"],
      ["next", "Sleep", "sleep 1 after {{ innocent_out }}"],
    );
    const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Leaves", agent("leaves-timer")).addAgent("Sleep", agent("sleep"));
    after(() => o.close());
    const result = await o.execute("t");
    const [leaves, innocent, next] = result.steps;
    assert.equal(result.success, true, JSON.stringify(result.steps.map((s) => [s.stepId, s.status, s.error?.message])));
    assert.deepEqual([leaves!.status, innocent!.status, next!.status], ["completed", "completed", "completed"]);
    assert.equal(innocent!.attempts, 1);
    assert.equal(next!.attempts, 1);
    assert.equal(leaves!.warnings?.length, 1, JSON.stringify(leaves));
    assert.match(leaves!.warnings![0]!, warning);
    assert.equal(innocent!.warnings, undefined);
    // An uncaught exception makes its thread unsafe: a later step runs on a fresh one.
    if (recycled) assert.notEqual(next!.threadId, leaves!.threadId);
    else assert.equal(next!.threadId, leaves!.threadId);
  });
}

test("a module whose top level leaves a throwing timer does not fail the steps that run after it loaded", async () => {
  const strategy = strategyOf(["a", "Late", "x"], ["b", "Sleep", "sleep 40 {{ a_out.intent }}"], ["c", "Sleep", "sleep 1 {{ b_out }}"]);
  const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Late", agent("timer-after-import")).addAgent("Sleep", agent("sleep"));
  after(() => o.close());
  const result = await o.execute("t");
  assert.equal(result.success, true, JSON.stringify(result.steps.map((s) => [s.stepId, s.status, s.error?.message])));
  assert.deepEqual(result.steps.map((s) => s.attempts), [1, 1, 1]);
});

test("a thread made unsafe by a stray exception still loads agents for another orchestrator's preflight, then hands its step on", async () => {
  const pool = new Piscina({ minThreads: 1, maxThreads: 1, idleTimeout: Infinity });
  after(() => pool.destroy());
  const first = new ParallelOrchestrator(strategyOf(["leaves", "Leaves", "timer"], ["after", "Sleep", "sleep 20 {{ leaves_out.threadId }}"]), { pool })
    .addAgent("Leaves", agent("leaves-timer")).addAgent("Sleep", agent("sleep"));
  const one = await first.execute("t");
  assert.equal(one.steps[0]!.warnings?.length, 1, "the stray went off while the pool's one thread ran the next step");
  // A second orchestrator on the same pool loads an agent the thread never saw.
  const second = new ParallelOrchestrator(strategyOf(["echo", "Echo", "x"]), { pool }).addAgent("Echo", agent("echo"));
  const two = await second.execute("t");
  assert.equal(two.success, true, JSON.stringify(two.steps[0]!.error));
  assert.equal(two.steps[0]!.attempts, 1);
  assert.notEqual(two.steps[0]!.threadId, one.steps[0]!.threadId, "the step ran on the thread that replaced the unsafe one");
});
