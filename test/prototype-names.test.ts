// Names that collide with Object.prototype members are names like any other: step ids, output
// keys, inputs and the variables templates read.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ParallelOrchestrator, StrategyMap } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

const NAMES = ["toString", "constructor", "valueOf", "hasOwnProperty", "__proto__"] as const;

test("step ids and output keys named after Object.prototype members run, depend and resolve like others", async () => {
  // A chain: each step reads the previous one's output by its key, and by the `<stepId>_output` alias.
  const rows = NAMES.map((name, i) => [
    name, "Echo", i === 0 ? "start" : `after {{ ${NAMES[i - 1]}_out.intent }} and {{ ${NAMES[i - 1]}_output.intent }}`, `${name}_out`,
  ] as [string, string, string, string]);
  const strategy = strategyOf(...rows);
  assert.deepEqual(strategy.plan().waves, NAMES.map((n) => [n]));
  const roundTrip = StrategyMap.fromJSON(strategy.toJSON());
  assert.deepEqual(roundTrip.steps.map((s) => s.stepId), [...NAMES]);
  const o = new ParallelOrchestrator(strategy, { threads: 2 }).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("t");
  assert.equal(result.success, true, JSON.stringify(result.steps.map((s) => [s.stepId, s.status, s.error?.message])));
  let expected = "start";
  for (let i = 1; i < NAMES.length; i++) expected = `after ${expected} and ${expected}`;
  assert.equal((result.context.get("__proto___out") as { intent: string }).intent, expected);
});

test("inputs named after Object.prototype members reach templates and agents as data", async () => {
  const inputs: Record<string, unknown> = {};
  for (const name of NAMES) Object.defineProperty(inputs, name, { value: `value of ${name}`, enumerable: true, writable: true, configurable: true });
  const strategy = strategyOf(["read", "Echo", NAMES.map((n) => `{{ ${n} }}`).join("|")]);
  const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("t", { inputs });
  assert.equal(result.success, true, result.steps[0]!.error?.message);
  const out = result.context.get("read_out") as { intent: string; inputs: Record<string, unknown> };
  assert.equal(out.intent, NAMES.map((n) => `value of ${n}`).join("|"));
  for (const name of NAMES) {
    assert.ok(Object.hasOwn(out.inputs, name), name);
    assert.equal(out.inputs[name], `value of ${name}`);
    assert.equal(result.context.get(name), `value of ${name}`);
  }
});
