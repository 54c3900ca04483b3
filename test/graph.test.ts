// Dependency analysis from liquid templates, cycles, waves and the plan.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CycleError, DuplicateStepError, StrategyStep, StrategyValidationError } from "wavepool";
import { strategyOf } from "./helpers.js";

const depsOf = (map: ReturnType<typeof strategyOf>) => {
  const g = map.graph();
  return Object.fromEntries(g.steps.map((s, i) => [s.stepId, g.deps[i]!.map((d) => g.steps[d]!.stepId)]));
};

test("a step depends on the step whose output key it reads", () => {
  const map = strategyOf(["a", "X", "research", "research"], ["b", "X", "Write about {{ research }}", "article"]);
  assert.deepEqual(depsOf(map), { a: [], b: ["a"] });
});

test("nested reads, loops, filters and conditionals all count; locals and task do not", () => {
  const map = strategyOf(
    ["r", "X", "r", "research"],
    ["k", "X", "k", "keywords"],
    ["n", "X", "n", "notes"],
    ["s", "X", "s", "summary"],
    ["w", "X", [
      "{{ research.findings[0] | upcase }}",
      "{% for k in keywords %}{{ k }}{% endfor %}",
      "{% if notes.size > 0 %}yes{% endif %}",
      "{% assign local = summary %}{{ local }} {{ task }}",
    ].join("\n"), "article"],
  );
  assert.deepEqual(depsOf(map).w, ["r", "k", "n", "s"]);
  assert.deepEqual(map.graph().externalReads[4], ["task"]);
});

test("a variable in a string literal or a comment is not a dependency (static analysis, not regex)", () => {
  const map = strategyOf(["a", "X", "a", "research"], ["b", "X", "{{ 'research' }} {% comment %}{{ research }}{% endcomment %}", "out"]);
  assert.deepEqual(depsOf(map).b, []);
});

test("{{ <stepId>_output }} is an alias of the step's output", () => {
  const map = strategyOf(["step_1", "X", "a", "topic_a"], ["step_2", "X", "{{ step_1_output }}", "final"]);
  assert.deepEqual(depsOf(map).step_2, ["step_1"]);
  assert.equal(map.graph().contextKey("step_1_output"), "topic_a");
  assert.equal(map.graph().contextKey("task"), "task");
});

test("dependsOn adds explicit edges; an unknown id is a validation error with its path", () => {
  const map = strategyOf(["a", "X", "a"], ["b", "X", "b", undefined, { dependsOn: ["a"] }]);
  assert.deepEqual(depsOf(map).b, ["a"]);
  const broken = strategyOf(["a", "X", "a"], ["b", "X", "b", undefined, { dependsOn: ["nope"] }]);
  assert.throws(() => broken.graph(), (e: unknown) => e instanceof StrategyValidationError && e.path === "steps[1].dependsOn[0]" && /nope/.test(e.message));
});

test("a cycle is reported with the steps on it", () => {
  const map = strategyOf(
    ["start", "X", "go", "s"],
    ["a", "X", "{{ s }} {{ c_out }}"],
    ["b", "X", "{{ a_out }}"],
    ["c", "X", "{{ b_out }}"],
    ["free", "X", "{{ s }}"],
  );
  assert.throws(() => map.graph(), (e: unknown) => {
    assert.ok(e instanceof CycleError);
    assert.equal(e.cycle.length, 4);
    assert.equal(e.cycle[0], e.cycle[3]);
    assert.deepEqual(new Set(e.cycle), new Set(["a", "b", "c"]));
    assert.match(e.message, /->/);
    return true;
  });
});

test("a step reading its own output is a cycle", () => {
  assert.throws(() => strategyOf(["a", "X", "{{ a_out }}"]).graph(), CycleError);
});

test("waves are the dependency levels, in definition order", () => {
  const map = strategyOf(
    ["a", "X", "a"], ["b", "X", "b"], ["c", "X", "{{ a_out }}"], ["d", "X", "{{ c_out }} {{ b_out }}"], ["e", "X", "{{ b_out }}"],
  );
  assert.deepEqual(map.plan().waves, [["a", "b"], ["c", "e"], ["d"]]);
});

test("plan() gives the critical path and its cost without starting a thread", () => {
  const map = strategyOf(
    ["A", "X", "a", "a", { cost: 300 }],
    ["B", "X", "b", "b", { cost: 30 }],
    ["C", "X", "{{ b }}", "c", { cost: 300 }],
    ["D", "X", "{{ a }} {{ c }}", "d", { cost: 10 }],
  );
  assert.deepEqual(map.plan(), { waves: [["A", "B"], ["C"], ["D"]], criticalPath: ["B", "C", "D"], criticalPathCost: 340 });
  assert.deepEqual(map.plan({ A: 1000 }).criticalPath, ["A", "D"]);
});

test("an empty strategy plans to nothing", () => {
  assert.deepEqual(strategyOf().plan(), { waves: [], criticalPath: [], criticalPathCost: 0 });
});

test("plan() costs steps named after Object.prototype members like any other", () => {
  const map = strategyOf(["toString", "X", "a", "a", { cost: 2 }], ["constructor", "X", "{{ a }}", "b"]);
  assert.deepEqual(map.plan(), { waves: [["toString"], ["constructor"]], criticalPath: ["toString", "constructor"], criticalPathCost: 3 });
  assert.equal(map.plan({ constructor: 5 }).criticalPathCost, 7);
});

test("a graph stays as it was built when steps are added after it", () => {
  const map = strategyOf(["a", "X", "a"], ["b", "X", "{{ a_out }}"]);
  const before = map.graph();
  map.addStep(new StrategyStep("c", "C", "X", "{{ b_out }}", "c_out"));
  assert.equal(before.steps.length, 2);
  assert.equal(before.reads.length, 2);
  assert.equal(before.indexOf.has("c"), false);
  const after = map.graph();
  assert.deepEqual(after.waves, [["a"], ["b"], ["c"]]);
  assert.equal(after.indexOf.get("c"), 2);
  assert.throws(() => map.addStep(new StrategyStep("c", "C", "X", "x", "other")), DuplicateStepError);
});
