// The step table `wavepool run` prints before its summary: one aligned row per step.
import assert from "node:assert/strict";
import { test } from "node:test";
import { stepTable } from "../src/cli/run-output.js";
import { fakeResult } from "./fixtures/fake-result.js";

test("one row per step under a header, columns aligned, never-run steps shown with dashes", () => {
  const { result } = fakeResult(12);
  const lines = stepTable(result).trimEnd().split("\n");
  assert.equal(lines.length, 2 + result.steps.length);
  assert.match(lines[0]!, /^step +agent +wave +thread +status +attempts +duration$/);
  assert.match(lines[1]!, /^-+( +-+){6}$/);
  const statusColumn = lines[0]!.indexOf("status");
  result.steps.forEach((s, k) => {
    const row = lines[k + 2]!;
    assert.ok(row.startsWith(s.stepId), row);
    assert.equal(row.slice(statusColumn).split(/ {2,}/)[0], s.status.replace("_", " "));
    if (s.attempts === 0) assert.match(row, / -$/);
  });
});

test("no table for an empty run or past the limit", () => {
  assert.equal(stepTable(fakeResult(0).result), "");
  assert.equal(stepTable(fakeResult(50).result, 40), "");
});

test("a step that ran on a worker of a distributed run names the worker with its thread", () => {
  const { result } = fakeResult(4, [1]);
  result.steps[0]!.worker = "host-a:100";
  const lines = stepTable(result).trimEnd().split("\n");
  assert.match(lines[2]!, / host-a:100\/1 /);
  assert.match(lines[3]!, / 1 /);
  assert.doesNotMatch(lines[3]!, /host-a/);
});
