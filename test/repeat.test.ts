// `repeat` on real threads: a step runs again while its `until` is false, reading `previous` and
// `iteration`; the record counts iterations, each attempt says its iteration, a bound reached is
// `repeatExhausted`, and retries count within an iteration.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ParallelOrchestrator, type RunEvent, type StrategyMap } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

function orchestrator(strategy: StrategyMap, failOn?: number[]): ParallelOrchestrator {
  const o = new ParallelOrchestrator(strategy, { threads: 2 })
    .addAgent("Json", { module: agent("json"), options: failOn ? { failOn } : undefined })
    .addAgent("Echo", agent("echo"));
  after(() => o.close());
  return o;
}

const POLISH = '{"n": {{ iteration }}, "prev": {{ previous.n | default: 0 }}, "seed": "{{ seed.word }}"}';

test("a repeat step runs until its until holds, reading previous and iteration; its dependents get the last output", async () => {
  const strategy = strategyOf(
    ["seed", "Json", '{"word": "draft"}', "seed"],
    ["polish", "Json", POLISH, "polished", { repeat: { until: "polished.n >= 3 and polished.prev == previous.n", maxIterations: 10 } }],
    ["publish", "Echo", "{{ polished.n }}/{{ polished.prev }}"],
  );
  const events: RunEvent[] = [];
  const result = await orchestrator(strategy).execute("t", { onEvent: (e) => events.push(e) });
  assert.equal(result.success, true);
  assert.deepEqual(result.context.get("polished"), { n: 3, prev: 2, seed: "draft" });
  const polish = result.steps.find((s) => s.stepId === "polish")!;
  assert.equal(polish.iterations, 3);
  assert.equal(polish.repeatExhausted, undefined);
  assert.equal(polish.attempts, 3);
  assert.deepEqual(polish.history.map((a) => a.iteration), [1, 2, 3]);
  assert.equal((result.context.get("publish_out") as { intent: string }).intent, "3/2");
  const starts = events.filter((e) => e.type === "step:start" && e.stepId === "polish");
  assert.deepEqual(starts.map((e) => (e as { iteration?: number }).iteration), [1, 2, 3]);
});

test("previous and iteration reach the agent in ctx.inputs; an until never holding stops at maxIterations (repeatExhausted)", async () => {
  const strategy = strategyOf(
    ["loop", "Echo", "round {{ iteration }} after {{ previous.intent }}", "looped", { repeat: { until: "looped.intent == 'never'", maxIterations: 2 } }],
  );
  const result = await orchestrator(strategy).execute("t");
  assert.equal(result.success, true);
  const loop = result.steps[0]!;
  assert.equal(loop.iterations, 2);
  assert.equal(loop.repeatExhausted, true);
  const out = result.context.get("looped") as { intent: string; inputs: Record<string, unknown> };
  assert.equal(out.intent, "round 2 after round 1 after ");
  assert.equal(out.inputs.iteration, 2);
  assert.deepEqual((out.inputs.previous as { intent: string }).intent, "round 1 after ");
});

test("each iteration gets the step's full tries: a failure in iteration 2 is retried there", async () => {
  const strategy = strategyOf(
    ["polish", "Json", '{"n": {{ iteration }}}', "polished", { retries: 1, repeat: { until: "polished.n >= 2", maxIterations: 5 } }],
  );
  const result = await orchestrator(strategy, [2]).execute("t");
  assert.equal(result.success, true, JSON.stringify(result.steps[0]!.error));
  const polish = result.steps[0]!;
  assert.equal(polish.iterations, 2);
  assert.equal(polish.attempts, 3);
  assert.deepEqual(polish.history.map((a) => [a.iteration, a.status]), [[1, "completed"], [2, "failed"], [2, "completed"]]);
});

test("an until that fails to evaluate fails the step with its path", async () => {
  const strategy = strategyOf(
    ["big", "Json", '{"n": 1}', "big", { repeat: { until: "parts | join: ','", maxIterations: 3 } }],
  );
  const result = await orchestrator(strategy).execute("t", { inputs: { parts: new Array(8).fill("x".repeat(10_000_000)) } });
  assert.equal(result.success, false);
  assert.equal(result.steps[0]!.status, "failed");
  assert.match(result.steps[0]!.error!.message, /until expression of step big .* failed to evaluate after iteration 1/);
});
