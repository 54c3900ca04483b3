// StrategyMap and StrategyStep: validation at addStep, and the JSON round trip with field paths.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DuplicateStepError, StrategyMap, StrategyStep, StrategyValidationError } from "wavepool";

const step = (id: string, out: string, intent = "x") => new StrategyStep(id, "d", "A", intent, out);

test("addStep returns the map and keeps the order", () => {
  const map = new StrategyMap("g");
  assert.equal(map.addStep(step("a", "x1")).addStep(step("b", "x2")), map);
  assert.deepEqual(map.steps.map((s) => s.stepId), ["a", "b"]);
});

test("a repeated step id throws DuplicateStepError at once", () => {
  const map = new StrategyMap("g").addStep(step("a", "x1"));
  assert.throws(() => map.addStep(step("a", "x2")), (e: unknown) => e instanceof DuplicateStepError && /step id "a"/.test(e.message) && e.path === "steps[1].id");
  assert.equal(map.steps.length, 1);
});

test("a repeated output key throws DuplicateStepError naming the owner", () => {
  const map = new StrategyMap("g").addStep(step("a", "x1"));
  assert.throws(() => map.addStep(step("b", "x1")), (e: unknown) => e instanceof DuplicateStepError && /written by step a/.test(e.message));
});

test("a liquid syntax error is a StrategyValidationError at the intent", () => {
  const map = new StrategyMap("g");
  assert.throws(() => map.addStep(step("a", "x", "{% if x %}never closed")), (e: unknown) =>
    e instanceof StrategyValidationError && e.path === "steps[0].intent");
});

test("bad step options are rejected with their path", () => {
  assert.throws(() => new StrategyStep("a", "d", "A", "x", "o", { timeoutMs: -1 }), /step a\.timeoutMs: expected an integer from 1 to 2147483647 .*, got -1/);
  assert.throws(() => new StrategyStep("a", "d", "A", "x", "o", { cost: Number.NaN }), /cost/);
  assert.throws(() => new StrategyStep("a", "d", "A", "x", "o", { retries: 1.5 }), /retries/);
  assert.throws(() => new StrategyStep("1a", "d", "A", "x", "o"), /stepId/);
  assert.throws(() => new StrategyStep("a", "d", "", "x", "o"), /assignedAgent/);
});

const file = {
  goal: "Write article",
  steps: [
    { id: "step_1", description: "A", agent: "ResearchAgent", intent: "Research A", output: "a", cost: 3 },
    { id: "step_2", description: "B", agent: "ResearchAgent", intent: "Research B", output: "b", timeoutMs: 5000, retries: 2 },
    { id: "step_3", description: "W", agent: "WriterAgent", intent: "{{ a }} {{ b }}", output: "article", dependsOn: ["step_1"] },
  ],
};

test("fromJSON/toJSON round-trip a strategy file's shape", () => {
  const map = StrategyMap.fromJSON(file);
  assert.deepEqual(map.toJSON(), file);
  assert.deepEqual(StrategyMap.fromJSON(JSON.parse(JSON.stringify(map))).toJSON(), file);
});

test("fromJSON accepts and ignores the agents map", () => {
  assert.equal(StrategyMap.fromJSON({ ...file, agents: { ResearchAgent: "./r.js" } }).steps.length, 3);
});

const bad: [string, unknown, string][] = [
  ["not an object", 42, "(root)"],
  ["goal missing", { steps: [] }, "goal"],
  ["unknown top key", { ...file, extra: 1 }, "extra"],
  ["steps not an array", { goal: "g", steps: {} }, "steps"],
  ["step not an object", { goal: "g", steps: [null] }, "steps[0]"],
  ["intent not a string", { goal: "g", steps: [{ ...file.steps[0], intent: 3 }] }, "steps[0].intent"],
  ["missing output", { goal: "g", steps: [{ id: "a", description: "", agent: "A", intent: "x" }] }, "steps[0].output"],
  ["unknown step key", { goal: "g", steps: [{ ...file.steps[0], colour: "red" }] }, "steps[0].colour"],
  ["dependsOn not an array", { goal: "g", steps: [{ ...file.steps[0], dependsOn: "a" }] }, "steps[0].dependsOn"],
  ["dependsOn item", { goal: "g", steps: [{ ...file.steps[0], dependsOn: [1] }] }, "steps[0].dependsOn[0]"],
  ["timeoutMs wrong type", { goal: "g", steps: [{ ...file.steps[0], timeoutMs: "5s" }] }, "steps[0].timeoutMs"],
  ["cost negative", { goal: "g", steps: [{ ...file.steps[0], cost: -1 }] }, "steps[0].cost"],
  ["liquid syntax", { goal: "g", steps: [file.steps[0], { ...file.steps[1], intent: "{{ a " }] }, "steps[1].intent"],
  ["bad id", { goal: "g", steps: [{ ...file.steps[0], id: "has space" }] }, "steps[0].id"],
  ["duplicate output", { goal: "g", steps: [file.steps[0], { ...file.steps[1], output: "a" }] }, "steps[1].output"],
];

for (const [what, json, path] of bad) {
  test(`fromJSON rejects ${what} with path ${path}`, () => {
    assert.throws(() => StrategyMap.fromJSON(json), (e: unknown) => {
      assert.ok(e instanceof StrategyValidationError, String(e));
      assert.equal(e.path, path);
      assert.ok(e.message.startsWith(`${path}: `), e.message);
      return true;
    });
  });
}
