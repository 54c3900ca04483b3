// The graph of a dynamic strategy: dependencies from what forEach, when and repeat.until read,
// cycles through a step's own output, the names only dynamic steps provide (item, index,
// previous, iteration), terminations and what they wait for, and what plan() says of it all.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CycleError, ParallelOrchestrator, StrategyMap, StrategyStep, UnknownInputError, type StrategyStepOptions } from "wavepool";
import { checkInputs } from "../src/graph/dependency-graph.js";
import { agent, strategyOf } from "./helpers.js";

const depsOf = (map: StrategyMap) => {
  const g = map.graph();
  return Object.fromEntries(g.steps.map((s, i) => [s.stepId, g.deps[i]!.map((d) => g.steps[d]!.stepId)]));
};
const step = (id: string, intent: string, output: string, options?: StrategyStepOptions) => new StrategyStep(id, undefined, "A", intent, output, options);
const TASK = new Set(["task"]);

test("a step depends on the steps its forEach, when and until read, as on those its template reads", () => {
  const map = new StrategyMap("g")
    .addStep(step("plan", "x", "outline"))
    .addStep(step("score", "x", "review"))
    .addStep(step("style", "x", "guide"))
    .addStep(step("fan", "{{ item }}", "notes", { forEach: "outline.topics", when: "review.score < 0.8" }))
    .addStep(step("loop", "{{ previous }}", "draft", { repeat: { until: "draft.words > guide.min", maxIterations: 3 } }))
    .addStep(step("alias", "x", "out", { when: "plan_output.ready" }));
  assert.deepEqual(depsOf(map), { plan: [], score: [], style: [], fan: ["plan", "score"], loop: ["style"], alias: ["plan"] });
  assert.deepEqual(map.plan().waves, [["plan", "score", "style"], ["fan", "loop", "alias"]]);
  assert.doesNotThrow(() => checkInputs(map.graph(), TASK));
});

test("the graph keeps each dynamic step's compiled expressions, and the template's reads without the names the run provides", () => {
  const map = new StrategyMap("g")
    .addStep(step("plan", "x", "outline"))
    .addStep(step("fan", "{{ item.title }} {{ index }} of {{ outline.title }}", "notes", { forEach: "outline.topics" }))
    .addStep(step("loop", "{{ previous }} #{{ iteration }}", "draft", { repeat: { until: "draft.done or iteration > 2", maxIterations: 3 } }));
  const g = map.graph();
  assert.equal(g.dynamic[0], undefined);
  assert.deepEqual(g.reads[1], ["outline"]);
  assert.deepEqual(g.dynamic[1]!.locals, ["item", "index"]);
  assert.equal(g.dynamic[1]!.forEach!.text, "outline.topics");
  assert.deepEqual(g.dynamic[1]!.forEach!.evaluate({ outline: { topics: [1, 2] } }), [1, 2]);
  assert.deepEqual(g.reads[2], []);
  assert.deepEqual(g.dynamic[2]!.locals, ["previous", "iteration"]);
  assert.deepEqual(g.dynamic[2]!.until!.reads, ["draft", "iteration"]);
  assert.equal(g.contextKey("draft"), "draft", "until reads the step's own output key");
  assert.equal(g.dynamic[2]!.when, undefined);
});

test("until reading the step's own output (key or alias) is no dependency; anything else it reads is", () => {
  const map = new StrategyMap("g")
    .addStep(step("ref", "x", "target"))
    .addStep(step("polish", "x", "text", { repeat: { until: "text == target or polish_output.size > 10", maxIterations: 5 } }));
  assert.deepEqual(depsOf(map), { ref: [], polish: ["ref"] });
});

test("a forEach or when reading the step's own output is a CycleError at its path", () => {
  for (const [options, path] of [[{ forEach: "notes.items" }, "steps[0].forEach"], [{ when: "fan_output" }, "steps[0].when"]] as const) {
    const map = new StrategyMap("g").addStep(step("fan", "{{ item }}", "notes", options));
    assert.throws(() => map.graph(), (e: unknown) => {
      assert.ok(e instanceof CycleError);
      assert.equal(e.path, path);
      assert.deepEqual(e.cycle, ["fan", "fan"]);
      return true;
    });
  }
});

test("a forEach that reads its own output through dependsOn is a CycleError naming both steps", () => {
  const map = new StrategyMap("g")
    .addStep(step("fan", "{{ item }}", "notes", { forEach: "summary.topics" }))
    .addStep(step("sum", "x", "summary", { dependsOn: ["fan"] }));
  assert.throws(() => map.graph(), (e: unknown) => e instanceof CycleError && new Set(e.cycle).size === 2 && e.cycle.includes("sum"));
  const viaUntil = new StrategyMap("g")
    .addStep(step("loop", "x", "draft", { repeat: { until: "check.ok", maxIterations: 2 } }))
    .addStep(step("check", "{{ draft }}", "check"));
  assert.throws(() => viaUntil.graph(), CycleError, "until waits for another step that waits for this one");
});

/** [where the name is read, step options, template, expect UnknownInputError path or undefined] */
const locals: [string, StrategyStepOptions, string, string | undefined][] = [
  ["item in a forEach template", { forEach: "task" }, "{{ item }} {{ index }}", undefined],
  ["previous in a repeat template", { repeat: { until: "out.ok", maxIterations: 2 } }, "{{ previous }} {{ iteration }}", undefined],
  ["previous and iteration in until", { repeat: { until: "previous == out and iteration > 1", maxIterations: 2 } }, "x", undefined],
  ["item in a plain template", {}, "{{ item }}", "steps[0].intent"],
  ["index in a repeat template", { repeat: { until: "out.ok", maxIterations: 2 } }, "{{ index }}", "steps[0].intent"],
  ["previous in a forEach template", { forEach: "task" }, "{{ previous }}", "steps[0].intent"],
  ["iteration in a when step", { when: "task" }, "{{ iteration }}", "steps[0].intent"],
  ["item in the forEach expression itself", { forEach: "item.list" }, "x", "steps[0].forEach"],
  ["iteration in a when", { when: "iteration > 1" }, "x", "steps[0].when"],
  ["item in until", { repeat: { until: "item", maxIterations: 2 } }, "x", "steps[0].repeat.until"],
];

for (const [what, options, intent, path] of locals) {
  test(`${what}: ${path === undefined ? "provided by the run" : `unknown at ${path}`}`, () => {
    const graph = new StrategyMap("g").addStep(step("s", intent, "out", options)).graph();
    if (path === undefined) {
      assert.doesNotThrow(() => checkInputs(graph, TASK));
      return;
    }
    assert.throws(() => checkInputs(graph, TASK), (e: unknown) => {
      assert.ok(e instanceof UnknownInputError);
      assert.equal(e.path, path);
      assert.equal(e.stepId, "s");
      assert.match(e.message, /exists only in the (template of a step with forEach|template and the until of a step with repeat)/);
      return true;
    });
  });
}

test("an input named like a reserved name is an input outside dynamic steps", () => {
  const graph = strategyOf(["s", "A", "{{ item }}"]).graph();
  assert.doesNotThrow(() => checkInputs(graph, new Set(["task", "item"])));
});

test("an unknown name in an expression is refused at preflight with its field and a did-you-mean", async () => {
  const map = new StrategyMap("g").addStep(step("r", "x", "review")).addStep(step("w", "x", "out", { when: "reveiw.score < 0.8" }));
  const o = new ParallelOrchestrator(map);
  o.addAgent("A", agent("echo"));
  try {
    await assert.rejects(o.execute("t"), (e: unknown) => {
      assert.ok(e instanceof UnknownInputError);
      assert.equal(e.path, "steps[1].when");
      assert.equal(e.variable, "reveiw");
      assert.match(e.message, /step w \(agent A\) reads reveiw in its when expression, which no step produces and no input provides; did you mean review\?/);
      return true;
    });
  } finally {
    await o.close();
  }
});

test("terminations: the steps their when and reason read, and unknown names refused at their path", () => {
  const map = new StrategyMap("g")
    .addStep(step("a", "x", "review"))
    .addStep(step("b", "x", "draft"))
    .addTerminate({ when: "review.score < 0.2 and task != ''", reason: "{{ draft.title }} scored {{ review.score }}" })
    .addTerminate({ when: "true" });
  const [first, second] = map.graph().terminations;
  assert.deepEqual(first!.deps, [0]);
  assert.deepEqual(first!.reasonDeps, [1, 0]);
  assert.deepEqual(first!.externalReads, ["task"]);
  assert.deepEqual(first!.reasonReads, ["draft", "review"]);
  assert.equal(first!.when.test({ review: { score: 0.1 }, task: "t" }), true);
  assert.deepEqual(second!.deps, []);
  assert.equal(second!.index, 1);
  assert.doesNotThrow(() => checkInputs(map.graph(), TASK));

  const unknown = new StrategyMap("g").addStep(step("a", "x", "review")).addTerminate({ when: "review.ok" }).addTerminate({ when: "review.ok", reason: "{{ item }}" });
  assert.throws(() => checkInputs(unknown.graph(), TASK), (e: unknown) =>
    e instanceof UnknownInputError && e.path === "terminate[1].reason" && e.variable === "item" && /exists only in the template of a step with forEach/.test(e.message));
});

test("plan(): waves of plain ids, the dynamic steps and terminations beside them; a static plan is unchanged", () => {
  const map = new StrategyMap("g")
    .addStep(step("plan", "x", "outline"))
    .addStep(step("research", "{{ item }}", "notes", { forEach: "outline.topics", forEachConcurrency: 2 }))
    .addStep(step("revise", "{{ notes }}", "draft", { when: "notes.size > 1" }))
    .addStep(step("polish", "{{ previous }} {{ draft }}", "final", { repeat: { until: "final.ok", maxIterations: 4 } }))
    .addTerminate({ when: "outline.topics.size == 0", reason: "nothing to research" });
  assert.deepEqual(map.plan(), {
    waves: [["plan"], ["research"], ["revise"], ["polish"]],
    criticalPath: ["plan", "research", "revise", "polish"],
    criticalPathCost: 4,
    dynamicSteps: [
      { stepId: "research", label: "research[*]", forEach: "outline.topics", forEachConcurrency: 2 },
      { stepId: "revise", label: "revise", when: "notes.size > 1" },
      { stepId: "polish", label: "polish", repeat: { until: "final.ok", maxIterations: 4 } },
    ],
    terminations: [{ when: "outline.topics.size == 0", reason: "nothing to research" }],
  });
  assert.deepEqual(strategyOf(["a", "A", "x"]).plan(), { waves: [["a"]], criticalPath: ["a"], criticalPathCost: 1 });
});
