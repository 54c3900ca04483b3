// End-to-end runs on real threads: the seed's workflow, context, inputs, records, several runs at once.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { threadId } from "node:worker_threads";
import {
  OrchestratorClosedError, ParallelOrchestrator, ParallelOrchestratorConfig, StrategyMap, StrategyStep, UnknownInputError,
} from "wavepool";
import { agent, strategyOf } from "./helpers.js";

function seed(): StrategyMap {
  const strategy = new StrategyMap("Write article based on parallel research");
  strategy.addStep(new StrategyStep("step_1", "Research Topic A", "ResearchAgent", "Research the benefits of Rust for systems programming.", "topic_a_research"));
  strategy.addStep(new StrategyStep("step_2", "Research Topic B", "ResearchAgent", "Research the benefits of Rust for web assembly.", "topic_b_research"));
  strategy.addStep(new StrategyStep("step_3", "Write Article", "WriterAgent", "Topic A: {{ topic_a_research.intent }}\nTopic B: {{ topic_b_research.intent }}", "final_article"));
  return strategy;
}

const orchestrator = ParallelOrchestrator.withConfig(seed(), new ParallelOrchestratorConfig().withStepTimeout(30_000).withThreads(2))
  .addAgent("ResearchAgent", agent("echo"))
  .addAgent("WriterAgent", agent("echo"));
after(() => orchestrator.close());

test("the seed workflow runs: two research steps, then the writer that reads both", async () => {
  const result = await orchestrator.execute("Write an article about Rust's versatility.");
  assert.equal(result.success, true);
  assert.equal(result.cancelled, false);
  assert.equal(result.paused, false);
  assert.deepEqual(result.waves, [["step_1", "step_2"], ["step_3"]]);
  const article = result.context.get("final_article") as { intent: string; inputs: Record<string, unknown> };
  assert.equal(article.intent, "Topic A: Research the benefits of Rust for systems programming.\nTopic B: Research the benefits of Rust for web assembly.");
  assert.deepEqual(Object.keys(article.inputs).sort(), ["topic_a_research", "topic_b_research"]);
  assert.equal(result.context.get("task"), "Write an article about Rust's versatility.");
  assert.equal(result.stepsExecuted, 3);
  assert.match(result.runId, /^[0-9a-f-]{36}$/);
});

test("every step record has the contract's fields; agents ran off the main thread", async () => {
  const result = await orchestrator.execute("t");
  for (const [i, record] of result.steps.entries()) {
    assert.equal(record.status, "completed");
    assert.equal(record.wave, i < 2 ? 0 : 1);
    assert.equal(record.attempts, 1);
    assert.ok(record.threadId > 0 && record.threadId !== threadId, `threadId ${record.threadId}`);
    assert.ok(record.startedAt! >= result.startedAt && record.endedAt! >= record.startedAt!);
    assert.equal(record.durationMs, record.endedAt! - record.startedAt!);
    assert.equal(record.error, undefined);
    assert.equal(record.history.length, 1);
    assert.equal((result.context.get(record.outputKey) as { threadId: number }).threadId, record.threadId);
  }
  assert.ok(result.durationMs >= 0 && result.endedAt >= result.startedAt);
});

test("inputs given to execute are template variables and land in the context", async () => {
  const strategy = strategyOf(["a", "Echo", "{{ task }} by {{ author.name }}, {{ tags | join: '+' }}"]);
  const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("essay", { inputs: { author: { name: "Ferris" }, tags: ["x", "y"] } });
  const out = result.context.get("a_out") as { intent: string; inputs: Record<string, unknown> };
  assert.equal(out.intent, "essay by Ferris, x+y");
  assert.deepEqual(out.inputs, { task: "essay", author: { name: "Ferris" }, tags: ["x", "y"] });
  assert.deepEqual(result.context.get("author"), { name: "Ferris" });
});

test("a variable nobody provides fails preflight with UnknownInputError naming step, agent and variable", async () => {
  const strategy = strategyOf(["a", "Echo", "hi"], ["b", "Echo", "{{ a_out }} {{ mystery }}"]);
  const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Echo", agent("echo"));
  after(() => o.close());
  let events = 0;
  await assert.rejects(o.execute("t", { onEvent: () => events++ }), (e: unknown) => {
    assert.ok(e instanceof UnknownInputError);
    assert.equal(e.variable, "mystery");
    assert.equal(e.stepId, "b");
    assert.match(e.message, /step b \(agent Echo\) reads \{\{ mystery \}\}/);
    assert.match(e.message, /inputs: \{ mystery/);
    return true;
  });
  assert.equal(events, 0, "nothing ran");
  const ok = await o.execute("t", { inputs: { mystery: 42 } });
  assert.equal(ok.success, true);
});

test("several runs in flight on one orchestrator share its pool and get their own runId", async () => {
  const results = await Promise.all(Array.from({ length: 5 }, (_, k) => orchestrator.execute(`task ${k}`)));
  assert.equal(new Set(results.map((r) => r.runId)).size, 5);
  results.forEach((r, k) => {
    assert.equal(r.success, true);
    assert.equal(r.context.get("task"), `task ${k}`);
  });
});

test("execute after close rejects with OrchestratorClosedError; close is idempotent", async () => {
  const o = new ParallelOrchestrator(strategyOf(["a", "Echo", "x"]), { threads: 1 }).addAgent("Echo", agent("echo"));
  assert.equal((await o.execute("t")).success, true);
  await o.close();
  await o.close();
  await assert.rejects(o.execute("t"), OrchestratorClosedError);
});

test("execute rejects a non-string task and non-shareable inputs", async () => {
  // @ts-expect-error: task must be a string
  await assert.rejects(orchestrator.execute(42), TypeError);
  await assert.rejects(orchestrator.execute("t", { inputs: { f: () => 1 } as never }), /inputs\.f cannot cross/);
});
