// Strategy files: every bad field is reported at its path in the file (`steps[0].id`), whatever the
// step id holds; a step's description is optional in the API and in files, and round-trips.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StrategyMap, StrategyStep, StrategyValidationError } from "wavepool";

const ok = { id: "a", description: "A", agent: "Agent", intent: "x", output: "a_out" };
const withStep = (patch: Record<string, unknown>, before: object[] = []) => ({ goal: "g", steps: [...before, { ...ok, ...patch }] });

const bad: [what: string, json: unknown, path: string][] = [
  ["an id with a dot", withStep({ id: "a.b" }), "steps[0].id"],
  ["an id with two dots, second step", withStep({ id: "x.y.z", output: "o2" }, [ok]), "steps[1].id"],
  ["an id with a space", withStep({ id: "a b" }), "steps[0].id"],
  ["an empty id", withStep({ id: "" }), "steps[0].id"],
  ["a dotted output", withStep({ id: "a.b", output: "x.y" }), "steps[0].id"],
  ["an output with a dot", withStep({ output: "x.y" }), "steps[0].output"],
  ["an empty agent", withStep({ agent: "" }), "steps[0].agent"],
  ["an agent of the wrong type", withStep({ agent: 1 }), "steps[0].agent"],
  ["a description of the wrong type", withStep({ description: null }), "steps[0].description"],
  ["an intent of the wrong type", withStep({ intent: [] }), "steps[0].intent"],
  ["a liquid error in a step whose id has a dash", withStep({ id: "a-1", intent: "{{ x " }), "steps[0].intent"],
  ["a timeout of 0", withStep({ timeoutMs: 0 }), "steps[0].timeoutMs"],
  ["retries of 1.5", withStep({ retries: 1.5 }), "steps[0].retries"],
  ["a negative cost", withStep({ cost: -1 }), "steps[0].cost"],
  ["a duplicate id", withStep({ output: "b_out" }, [ok]), "steps[1].id"],
  ["a duplicate output", withStep({ id: "b" }, [ok]), "steps[1].output"],
];

for (const [what, json, path] of bad) {
  test(`fromJSON reports ${what} at ${path}`, () => {
    assert.throws(() => StrategyMap.fromJSON(json), (e: unknown) => {
      assert.ok(e instanceof StrategyValidationError, String(e));
      assert.equal(e.path, path);
      assert.ok(e.message.startsWith(`${path}: `), e.message);
      return true;
    });
  });
}

test("a step's description is optional in the API: undefined or empty, toJSON omits only the absent one", () => {
  const none = new StrategyStep("a", undefined, "Agent", "x", "a_out");
  const empty = new StrategyStep("b", "", "Agent", "y", "b_out");
  assert.equal(none.description, undefined);
  assert.equal(empty.description, "");
  const map = new StrategyMap("g").addStep(none).addStep(empty);
  const json = map.toJSON();
  assert.ok(!("description" in json.steps[0]!), JSON.stringify(json.steps[0]));
  assert.equal(json.steps[1]!.description, "");
  assert.deepEqual(StrategyMap.fromJSON(JSON.parse(JSON.stringify(json))).toJSON(), json);
});

test("a step's description may be left out of a strategy file", () => {
  const map = StrategyMap.fromJSON({ goal: "g", steps: [{ id: "a", agent: "Agent", intent: "x", output: "a_out" }] });
  assert.equal(map.steps[0]!.description, undefined);
  assert.deepEqual(map.toJSON(), { goal: "g", steps: [{ id: "a", agent: "Agent", intent: "x", output: "a_out" }] });
});

test("a description of the wrong type in the API is still refused at its path", () => {
  // @ts-expect-error: not a string
  assert.throws(() => new StrategyStep("a", 3, "Agent", "x", "a_out"), (e: unknown) => e instanceof StrategyValidationError && e.path === "step a.description");
});
