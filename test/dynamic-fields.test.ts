// The fields of dynamic workflows (forEach, forEachConcurrency, when, repeat, terminate): every bad
// value is refused where it is given, at its path, in the API and in strategy files alike; good
// ones round-trip through toJSON/fromJSON and load from a YAML file.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { StrategyMap, StrategyStep, StrategyValidationError, type StrategyJSON, type StrategyStepOptions } from "wavepool";
import { loadStrategyFile } from "../src/cli/load-strategy-file.js";
import { tempDir } from "./cli-process.js";

const tmp = tempDir();

const steps = [
  { id: "plan", agent: "Planner", intent: "Plan {{ task }}", output: "outline" },
  { id: "research", agent: "Researcher", intent: "Research {{ item }} ({{ index }})", output: "notes", forEach: "outline.topics" },
  { id: "review", agent: "Reviewer", intent: "{{ notes }}", output: "review" },
  { id: "revise", agent: "Writer", intent: "{{ review }}", output: "revised", when: "review.score < 0.8" },
  { id: "polish", agent: "Writer", intent: "{{ previous }} {{ revised }}", output: "final", repeat: { until: "final.stable", maxIterations: 3 } },
];
const flow = (patch: Record<string, unknown> = {}, at = 1, top: Record<string, unknown> = {}) => ({
  goal: "g", steps: steps.map((s, i) => (i === at ? { ...s, ...patch } : s)), ...top,
});

/** [what, file patch for steps[at], at, path, message] */
const bad: [string, Record<string, unknown>, number, string, RegExp][] = [
  ["a forEach that is not a string", { forEach: 3 }, 1, "steps[1].forEach", /expected a liquid expression such as "outline\.topics", got 3 \(number\)/],
  ["an empty forEach", { forEach: " " }, 1, "steps[1].forEach", /expected a liquid expression/],
  ["a forEach with a syntax error", { forEach: "outline.topics[" }, 1, "steps[1].forEach", /not a valid liquid expression: \[ not closed/],
  ["a forEach of two values side by side", { forEach: "outline topics" }, 1, "steps[1].forEach", /found 2 side by side/],
  ["a forEach written as a template", { forEach: "{{ outline.topics }}" }, 1, "steps[1].forEach", /without \{\{ \}\}/],
  ["a forEach with a misspelt filter", { forEach: "outline.topics | sortt" }, 1, "steps[1].forEach", /unknown filter "sortt"; did you mean "sort"\?/],
  ["a forEachConcurrency of 0", { forEachConcurrency: 0 }, 1, "steps[1].forEachConcurrency", /integer from 1 and up, got 0/],
  ["a forEachConcurrency of 1.5", { forEachConcurrency: 1.5 }, 1, "steps[1].forEachConcurrency", /got 1\.5/],
  ["a forEachConcurrency as a string", { forEachConcurrency: "2" }, 1, "steps[1].forEachConcurrency", /got the string "2"/],
  ["a forEachConcurrency without forEach", { forEachConcurrency: 2 }, 2, "steps[2].forEachConcurrency", /add forEach to the step or remove forEachConcurrency/],
  ["a when that is not a string", { when: true }, 3, "steps[3].when", /got true \(boolean\)/],
  ["a when with an operand missing", { when: "review.score <" }, 3, "steps[3].when", /the operator "<" is missing an operand/],
  ["a when with an unclosed string", { when: "review.language == 'fr" }, 3, "steps[3].when", /the string 'fr is not closed/],
  ["a when ending in a pipe", { when: "review.score |" }, 3, "steps[3].when", /filter name is missing/],
  ["a repeat that is not an object", { repeat: "until done" }, 4, "steps[4].repeat", /expected \{ until, maxIterations \}/],
  ["a repeat that is an array", { repeat: [] }, 4, "steps[4].repeat", /got \[\] \(array\)/],
  ["a maxIterations of 0", { repeat: { until: "final.stable", maxIterations: 0 } }, 4, "steps[4].repeat.maxIterations", /integer from 1 and up, got 0/],
  ["a maxIterations of 1.5", { repeat: { until: "final.stable", maxIterations: 1.5 } }, 4, "steps[4].repeat.maxIterations", /got 1\.5/],
  ["a maxIterations of \"3\"", { repeat: { until: "final.stable", maxIterations: "3" } }, 4, "steps[4].repeat.maxIterations", /got the string "3"/],
  ["a missing maxIterations", { repeat: { until: "final.stable" } }, 4, "steps[4].repeat.maxIterations", /got nothing \(the field is missing\)/],
  ["a missing until", { repeat: { maxIterations: 3 } }, 4, "steps[4].repeat.until", /got nothing/],
  ["an until that does not parse", { repeat: { until: "final.stable and", maxIterations: 3 } }, 4, "steps[4].repeat.until", /the operator "and" is missing an operand/],
  ["an unknown key in repeat", { repeat: { untill: "x", maxIterations: 3 } }, 4, "steps[4].repeat.untill", /unknown field; did you mean "until"\?/],
  ["an unknown key in repeat, nothing close", { repeat: { until: "x", maxIterations: 3, zzz: 1 } }, 4, "steps[4].repeat.zzz", /unknown field; repeat has until, maxIterations/],
  ["forEach and repeat on one step", { repeat: { until: "x", maxIterations: 3 } }, 1, "steps[1].repeat", /cannot both fan out \(forEach\) and repeat/],
  ["a misspelt forEach key", { for_each: "outline.topics" }, 2, "steps[2].for_each", /did you mean "forEach"\?/],
];

for (const [what, patch, at, path, message] of bad) {
  test(`fromJSON refuses ${what} at ${path}`, () => {
    assert.throws(() => StrategyMap.fromJSON(flow(patch, at)), (e: unknown) => {
      assert.ok(e instanceof StrategyValidationError, String(e));
      assert.equal(e.code, "WAVEPOOL_STRATEGY_INVALID");
      assert.equal(e.path, path);
      assert.ok(e.message.startsWith(`${path}: `), e.message);
      assert.match(e.message, message);
      return true;
    });
  });
}

const badTerminate: [string, unknown, string, RegExp][] = [
  ["a terminate that is not an array", { when: "x" }, "terminate", /expected an array of \{ when, reason\? \}/],
  ["an entry that is not an object", ["review.score < 0.2"], "terminate[0]", /expected \{ when, reason\? \}/],
  ["a missing when", [{ reason: "r" }], "terminate[0].when", /got nothing/],
  ["a when that is not a string", [{ when: 1 }], "terminate[0].when", /got 1 \(number\)/],
  ["a when that does not parse", [{ when: "review.score <" }], "terminate[0].when", /missing an operand/],
  ["a reason that is not a string", [{ when: "x", reason: 2 }], "terminate[0].reason", /expected a liquid template/],
  ["a reason that does not parse", [{ when: "x", reason: "{{ review" }], "terminate[0].reason", /not valid liquid/],
  ["an unknown key, second entry", [{ when: "x" }, { whn: "y" }], "terminate[1].whn", /did you mean "when"\?/],
];

for (const [what, terminate, path, message] of badTerminate) {
  test(`fromJSON refuses ${what} at ${path}`, () => {
    assert.throws(() => StrategyMap.fromJSON(flow({}, 1, { terminate })), (e: unknown) => {
      assert.ok(e instanceof StrategyValidationError, String(e));
      assert.equal(e.path, path);
      assert.match(e.message, message);
      return true;
    });
  });
}

test("the API refuses the same values: the step's own path in the constructor, the strategy's in addStep and addTerminate", () => {
  const make = (options: StrategyStepOptions) => new StrategyStep("s", undefined, "A", "x", "out", options);
  const at = (path: string) => (e: unknown) => e instanceof StrategyValidationError && e.path === path;
  assert.throws(() => make({ forEachConcurrency: 2 }), at("step s.forEachConcurrency"));
  assert.throws(() => make({ repeat: { until: "x", maxIterations: 0 } }), at("step s.repeat.maxIterations"));
  // @ts-expect-error: not a string
  assert.throws(() => make({ when: 3 }), at("step s.when"));
  // Syntax is checked when the step joins a strategy, as a template's is.
  const map = new StrategyMap("g").addStep(new StrategyStep("a", undefined, "A", "x", "a_out"));
  assert.throws(() => map.addStep(make({ forEach: "a_out |" })), at("steps[1].forEach"));
  assert.throws(() => map.addStep(make({ repeat: { until: "(", maxIterations: 2 } })), at("steps[1].repeat.until"));
  assert.equal(map.steps.length, 1, "a refused step is not added");
  // @ts-expect-error: no such key
  assert.throws(() => map.addTerminate({ when: "a_out", reasn: "x" }), at("terminate[0].reasn"));
  assert.throws(() => map.addTerminate({ when: "a_out ==" }), at("terminate[0].when"));
  assert.equal(map.terminations.length, 0, "a refused termination is not added");
});

test("a static step has no dynamic fields, a dynamic one has exactly those given", () => {
  const plain = new StrategyStep("a", undefined, "A", "x", "a_out");
  assert.equal(plain.forEach, undefined);
  assert.ok(!("forEach" in plain) && !("repeat" in plain), "no slot for fields a static step does not have");
  const fan = new StrategyStep("b", undefined, "A", "{{ item }}", "b_out", { forEach: "a_out", forEachConcurrency: 3 });
  assert.equal(fan.forEach, "a_out");
  assert.equal(fan.forEachConcurrency, 3);
  const again = new StrategyStep("c", undefined, "A", "x", "c_out", { repeat: { until: "c_out.done", maxIterations: 4 } });
  assert.deepEqual(again.repeat, { until: "c_out.done", maxIterations: 4 });
  assert.ok(Object.isFrozen(again.repeat));
});

test("toJSON and fromJSON round-trip every dynamic field and the terminations", () => {
  const json: StrategyJSON = flow({ forEachConcurrency: 4 }, 1, {
    terminate: [{ when: "review.score < 0.2", reason: "scored {{ review.score }}" }, { when: "task == 'stop'" }],
  }) as StrategyJSON;
  const map = StrategyMap.fromJSON(json);
  assert.deepEqual(map.toJSON(), json);
  assert.deepEqual(StrategyMap.fromJSON(JSON.parse(JSON.stringify(map.toJSON()))).toJSON(), json);
  assert.deepEqual(map.terminations, [{ when: "review.score < 0.2", reason: "scored {{ review.score }}" }, { when: "task == 'stop'" }]);
  assert.ok(Object.isFrozen(map.terminations[0]));
  assert.equal(map.getStep("polish")!.repeat!.maxIterations, 3);
});

test("addTerminate chains, and a strategy built in code gives the file's shape", () => {
  const map = new StrategyMap("g")
    .addStep(new StrategyStep("a", undefined, "A", "x", "score"))
    .addStep(new StrategyStep("b", undefined, "B", "{{ item }}", "b_out", { forEach: "score.items", when: "score.ok" }))
    .addTerminate({ when: "score.value < 0.1", reason: "too low: {{ score.value }}" });
  assert.deepEqual(map.toJSON(), {
    goal: "g",
    steps: [
      { id: "a", agent: "A", intent: "x", output: "score" },
      { id: "b", agent: "B", intent: "{{ item }}", output: "b_out", forEach: "score.items", when: "score.ok" },
    ],
    terminate: [{ when: "score.value < 0.1", reason: "too low: {{ score.value }}" }],
  });
  assert.ok(!("terminate" in new StrategyMap("g").toJSON()), "no terminate key without terminations");
});

test("a terminate added after the graph was built is in the next graph, not in the one already handed out", () => {
  const map = new StrategyMap("g").addStep(new StrategyStep("a", undefined, "A", "x", "score"));
  const before = map.graph();
  map.addTerminate({ when: "score < 1" });
  assert.equal(before.terminations.length, 0);
  assert.equal(map.graph().terminations.length, 1);
  assert.deepEqual(map.graph().terminations[0]!.deps, [0]);
});

test("a YAML strategy file with every dynamic field loads through the CLI loader", async () => {
  const file = join(tmp(), "dynamic.yaml");
  await writeFile(file, [
    "goal: Research and write",
    "agents:",
    "  Planner: ./agents/planner.js",
    "steps:",
    "  - { id: plan, agent: Planner, intent: \"Plan {{ task }}\", output: outline }",
    "  - id: research",
    "    agent: Planner",
    "    intent: \"Research {{ item }}\"",
    "    output: notes",
    "    forEach: \"outline.topics | slice: 0, 5\"",
    "    forEachConcurrency: 2",
    "  - { id: review, agent: Planner, intent: \"{{ notes }}\", output: review, when: \"notes.size > 0\" }",
    "  - id: polish",
    "    agent: Planner",
    "    intent: \"{{ previous }} {{ review }}\"",
    "    output: final",
    "    repeat: { until: \"final contains 'done'\", maxIterations: 4 }",
    "terminate:",
    "  - { when: \"review.score < 0.2\", reason: \"scored {{ review.score }}\" }",
    "",
  ].join("\n"));
  const { strategy } = await loadStrategyFile(file, { checkModules: false });
  assert.equal(strategy.getStep("research")!.forEach, "outline.topics | slice: 0, 5");
  assert.equal(strategy.getStep("research")!.forEachConcurrency, 2);
  assert.equal(strategy.getStep("review")!.when, "notes.size > 0");
  assert.deepEqual(strategy.getStep("polish")!.repeat, { until: "final contains 'done'", maxIterations: 4 });
  assert.deepEqual(strategy.terminations, [{ when: "review.score < 0.2", reason: "scored {{ review.score }}" }]);

  const broken = join(tmp(), "broken.yaml");
  await writeFile(broken, [
    "goal: g",
    "steps:",
    "  - { id: a, agent: A, intent: x, output: a_out }",
    "  - { id: b, agent: A, intent: x, output: b_out, repeat: { until: a_out, maxIterations: 0 } }",
    "",
  ].join("\n"));
  await assert.rejects(loadStrategyFile(broken, { checkModules: false }), (e: unknown) =>
    e instanceof StrategyValidationError && e.path === "steps[1].repeat.maxIterations");
});
