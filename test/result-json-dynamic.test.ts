// `wavepool run --json` on a dynamic run: every new field of the result and its records comes out,
// as the result has it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { resultToJSON } from "../src/report/result-json.js";
import { fakeDynamicResult } from "./fixtures/fake-dynamic-result.js";

interface Json { [key: string]: unknown }

test("the result's dynamic fields: terminated, its reason, skips counted, redesigns", () => {
  const { result } = fakeDynamicResult({ items: 3 });
  result.redesigns.push({
    stepId: "review", error: { name: "StepFailedError", code: "WAVEPOOL_STEP_FAILED", message: "bad score" }, at: result.startedAt + 5,
    goal: "try again", kept: ["plan"], planned: ["review", "polish"],
  });
  const json = JSON.parse(resultToJSON(result)) as Json;
  assert.equal(json.terminated, true);
  assert.equal(json.terminationReason, "the draft is good enough");
  assert.equal(json.stepsSkipped, 2);
  assert.deepEqual(json.redesigns, [{
    stepId: "review", error: { name: "StepFailedError", code: "WAVEPOOL_STEP_FAILED", message: "bad score" }, at: result.startedAt + 5,
    goal: "try again", kept: ["plan"], planned: ["review", "polish"],
  }]);
  const plain = JSON.parse(resultToJSON(fakeDynamicResult({ terminated: false }).result)) as Json;
  assert.equal(plain.terminated, false);
  assert.ok(!("terminationReason" in plain));
  assert.deepEqual(plain.redesigns, []);
});

test("the records' dynamic fields: items and their parent, iterations, skip reasons", () => {
  const { result } = fakeDynamicResult({ items: 3 });
  const steps = (JSON.parse(resultToJSON(result)) as { steps: Json[] }).steps;
  const byId = new Map(steps.map((s) => [s.stepId, s]));
  assert.deepEqual(steps.map((s) => s.stepId), ["plan", "research", "research[0]", "research[1]", "research[2]", "review", "revise", "polish", "publish"]);
  assert.equal(byId.get("research")?.items, 3);
  assert.deepEqual(byId.get("research")?.history, []);
  assert.deepEqual([byId.get("research[2]")?.parent, byId.get("research[2]")?.item, byId.get("research[2]")?.outputKey], ["research", 2, "research_out[2]"]);
  assert.deepEqual([byId.get("polish")?.iterations, byId.get("polish")?.repeatExhausted], [3, true]);
  assert.deepEqual((byId.get("polish")?.history as Json[]).map((a) => a.iteration), [1, 2, 3]);
  assert.deepEqual([byId.get("revise")?.skipReason, byId.get("publish")?.skipReason], ["condition", "terminated"]);
  assert.ok(!("parent" in byId.get("plan")!) && !("skipReason" in byId.get("plan")!), "absent fields stay absent");
});
