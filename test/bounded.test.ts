// Nothing hangs: agent imports are bounded (preflight, a new thread's warm-up, and a step's own import
// on a fresh thread), a run's signal stops preflight, an output the main thread cannot read fails its
// step, and templates render within limits while other runs stay live.
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Piscina } from "piscina";
import { AgentLoadError, ParallelOrchestrator, ParallelOrchestratorConfig, type ParallelOrchestrationResult } from "wavepool";
import { agent, broken, strategyOf } from "./helpers.js";

for (const [what, module] of [["whose top-level await never settles", "hangs-on-import"], ["that busy-loops at its top level", "spins-on-import"]] as const) {
  test(`a module ${what} fails preflight with AgentLoadError after the load timeout`, async () => {
    const config = new ParallelOrchestratorConfig().withThreads(2).withAgentLoadTimeout(300);
    const o = new ParallelOrchestrator(strategyOf(["a", "Broken", "x"]), config).addAgent("Broken", broken(module));
    after(() => o.close());
    const started = Date.now();
    const error = await o.execute("t").then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof AgentLoadError, String(error));
    assert.equal(error.agent, "Broken");
    assert.match(error.message, new RegExp(`agent Broken did not finish loading from .*${module}\\.js within 300 ms`));
    assert.match(error.message, /withAgentLoadTimeout/);
    assert.ok(Date.now() - started < 10_000);
    // The stuck threads were terminated and replaced: the pool is whole again.
    assert.equal(o.poolThreads, 2);
  });
}

test("a run's signal stops a preflight stuck on a hanging import, long before the load timeout", async () => {
  const o = new ParallelOrchestrator(strategyOf(["a", "Broken", "x"]), { threads: 1 }).addAgent("Broken", broken("hangs-on-import"));
  after(() => o.close());
  const controller = new AbortController();
  const started = Date.now();
  const running = o.execute("t", { signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  const result = await running;
  // The load timeout is 60 s: a preflight that waited for the import would take that long.
  assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
  assert.equal(result.cancelled, true);
  assert.deepEqual(result.steps.map((s) => s.status), ["cancelled"]);
});

// The orchestrator's own pool has a replacement thread load the agents before it takes a step (its
// warm-up). On a pool given with withPool there is no warm-up: a step imports its agent itself.
/** A one-thread pool of the caller's, destroyed after the test. */
function ownerPool(): Piscina {
  const pool = new Piscina({ minThreads: 1, maxThreads: 1, idleTimeout: Infinity });
  after(() => pool.destroy());
  return pool;
}

test("a step's timeout also bounds the import of its agent on a fresh replacement thread", async () => {
  const strategy = strategyOf(["spin", "Spin", "spin forever", "spun", { timeoutMs: 100, cost: 1000 }], ["later", "Flagged", "x", "later", { timeoutMs: 300, dependsOn: [] }]);
  const o = new ParallelOrchestrator(strategy, { pool: ownerPool() }).addAgent("Spin", agent("spin")).addAgent("Flagged", broken("hangs-when-flagged"));
  // Once the agent hangs when imported, the replacement thread never finishes importing it.
  const second = await onReplacementThread(o, "WAVEPOOL_TEST_HANG_FLAG");
  const later = second.steps[1]!;
  assert.equal(later.status, "timed_out");
  assert.equal(later.error?.name, "StepTimeoutError");
});

test("a replacement thread's warm-up that hangs is bounded by the load timeout; the agent is then imported by its step, which its timeout bounds", async () => {
  const strategy = strategyOf(["spin", "Spin", "spin forever", "spun", { timeoutMs: 100, cost: 1000 }], ["later", "Flagged", "x", "later", { timeoutMs: 300, dependsOn: [] }]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(1).withAgentLoadTimeout(1000))
    .addAgent("Spin", agent("spin")).addAgent("Flagged", broken("hangs-when-flagged"));
  const second = await onReplacementThread(o, "WAVEPOOL_TEST_HANG_FLAG");
  const later = second.steps[1]!;
  assert.equal(later.status, "timed_out");
  assert.equal(later.error?.name, "StepTimeoutError");
  assert.equal(o.poolThreads, 1, "the threads stuck in the import were terminated and replaced");
});

test("without a step timeout, the load timeout bounds an import that hangs on a fresh thread", async () => {
  const strategy = strategyOf(["spin", "Spin", "spin forever", "spun", { timeoutMs: 100, cost: 1000 }], ["later", "Flagged", "x", "later", { dependsOn: [] }], ["next", "Echo", "{{ task }}"]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(1).withAgentLoadTimeout(300))
    .addAgent("Spin", agent("spin")).addAgent("Flagged", broken("hangs-when-flagged")).addAgent("Echo", agent("echo"));
  const second = await onReplacementThread(o, "WAVEPOOL_TEST_HANG_FLAG");
  const later = second.steps[1]!;
  assert.equal(later.status, "failed");
  assert.equal(later.error?.name, "AgentLoadError");
  assert.match(later.error!.message, /did not finish loading from .*hangs-when-flagged\.js within 300 ms/);
  // The thread with the import stuck in it takes no further step: the next one runs on a fresh thread.
  assert.equal(second.steps[2]!.status, "completed");
  assert.equal(second.steps[2]!.attempts, 1);
});

test("a step that times out while a fresh thread imports its agent leaves the import to finish: its retry runs on the warm thread", async () => {
  const strategy = strategyOf(["spin", "Spin", "spin forever", "spun", { timeoutMs: 100, cost: 1000 }], ["later", "Slow", "x", "later", { timeoutMs: 200, retries: 2, dependsOn: [] }]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withPool(ownerPool()).withRetries({ attempts: 1, backoffMs: 1 }))
    .addAgent("Spin", agent("spin")).addAgent("Slow", broken("slow-when-flagged"));
  // The replacement thread takes 600 ms to import the agent, three times the step's timeout.
  const later = (await onReplacementThread(o, "WAVEPOOL_TEST_SLOW_FLAG")).steps[1]!;
  assert.equal(later.status, "completed", JSON.stringify(later.history));
  assert.equal(later.history[0]!.status, "timed_out");
  assert.match(later.history[0]!.error!.message, /while a fresh thread was still importing its agent/);
  assert.equal(later.attempts, 2, "the import was not thrown away: the first retry found the agent loaded");
});

test("a replacement thread loads its agents before it takes a step: a slow import is not charged to the step that lands there", async () => {
  const strategy = strategyOf(["spin", "Spin", "spin forever", "spun", { timeoutMs: 100, cost: 1000 }], ["later", "Slow", "x", "later", { timeoutMs: 200, retries: 2, dependsOn: [] }]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(1).withRetries({ attempts: 1, backoffMs: 1 }))
    .addAgent("Spin", agent("spin")).addAgent("Slow", broken("slow-when-flagged"));
  // The replacement thread takes 600 ms to import the agent, three times the step's timeout: in its
  // warm-up, before the step reaches it.
  const later = (await onReplacementThread(o, "WAVEPOOL_TEST_SLOW_FLAG")).steps[1]!;
  assert.equal(later.status, "completed", JSON.stringify(later.history));
  assert.equal(later.attempts, 1, JSON.stringify(later.history));
});

test("an output nested too deeply for the main thread fails its step with OutputNotCloneableError, not a hang", async () => {
  const strategy = strategyOf(["deep", "Deep", "6000"], ["next", "Echo", "{{ deep_out }}"], ["other", "Echo", "fine"]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(1).withRetries({ attempts: 3, backoffMs: 1 }))
    .addAgent("Deep", agent("deep-output")).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("t");
  const [deep, next, other] = result.steps;
  assert.equal(deep!.status, "failed");
  assert.equal(deep!.error?.name, "OutputNotCloneableError");
  assert.match(deep!.error!.message, /step deep \(agent Deep\) returned a value the main thread cannot read/);
  assert.equal(deep!.attempts, 1, "never retried as a crash");
  assert.equal(next!.status, "skipped");
  assert.equal(other!.status, "completed");
  // A value that deep is fine when it is not that deep.
  const flat = new ParallelOrchestrator(strategyOf(["deep", "Deep", "50"]), { threads: 1 }).addAgent("Deep", agent("deep-output"));
  after(() => flat.close());
  assert.equal((await flat.execute("t")).success, true);
});

test("a template whose loops an upstream output drives fails its step within the render limit; other runs stay live", async () => {
  const strategy = strategyOf(
    ["size", "Echo", "100000"],
    ["bomb", "Echo", "{% for i in (1..size_out.intent) %}{% for j in (1..size_out.intent) %}x{% endfor %}{% endfor %}"],
    ["other", "Echo", "fine"],
  );
  const o = new ParallelOrchestrator(strategy, { threads: 2 }).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const quick = new ParallelOrchestrator(strategyOf(["q", "Echo", "quick"]), { threads: 1 }).addAgent("Echo", agent("echo"));
  after(() => quick.close());
  const started = Date.now();
  const [result, alongside] = await Promise.all([o.execute("t"), quick.execute("t")]);
  assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
  const bomb = result.steps[1]!;
  assert.equal(bomb.status, "failed");
  assert.equal(bomb.error?.name, "StrategyValidationError");
  assert.match(bomb.error!.message, /the intent template of step bomb failed to render: .*limit exceeded.*belongs in an agent/);
  assert.equal(result.steps[2]!.status, "completed");
  assert.equal(alongside.success, true);
});

/**
 * Runs `o` (its first step a spin that times out) once, so that its one thread is replaced; then sets
 * the flag file named by `flagVariable`, which changes how its flagged agent module imports, and
 * runs it again: the second run's steps import their agents on the replacement thread.
 */
async function onReplacementThread(o: ParallelOrchestrator, flagVariable: string): Promise<ParallelOrchestrationResult> {
  const flag = join(tmpdir(), `wavepool-${flagVariable}-${process.pid}`);
  process.env[flagVariable] = flag;
  after(() => rmSync(flag, { force: true }));
  after(() => o.close());
  // The first run loads every agent on the one thread; the spin times out and the thread is replaced.
  assert.equal((await o.execute("t")).steps[0]!.status, "timed_out");
  writeFileSync(flag, "");
  const started = Date.now();
  const second = await o.execute("t");
  assert.ok(Date.now() - started < 5_000, `${Date.now() - started} ms`);
  return second;
}
