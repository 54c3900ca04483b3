// `wavepool run` when the state file could not be written: the result's `stateError` becomes one
// line on stderr naming the file, saying it is stale and why, and a non-zero exit code (1, unless
// the run itself maps to a higher one: paused 3, cancelled 130).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ParallelOrchestrationResult } from "wavepool";
import { palette } from "../src/cli/ansi.js";
import { exitCodeOf, summarize } from "../src/cli/run-output.js";
import { fakeResult } from "./fixtures/fake-result.js";

const plain = palette(false);
const stateError = { path: "/runs/flow.state", name: "Error", code: "ENOSPC", message: "ENOSPC: no space left on device, write" };

function succeeded(): ParallelOrchestrationResult {
  const { result } = fakeResult(3);
  return { ...result, success: true };
}

test("a successful run whose state file could not be written exits 1, not 0", () => {
  assert.equal(exitCodeOf(succeeded()), 0);
  assert.equal(exitCodeOf({ ...succeeded(), stateError }), 1);
});

test("a failed, paused or cancelled run keeps its own exit code when the state is also stale", () => {
  const failed = { ...succeeded(), success: false };
  assert.equal(exitCodeOf({ ...failed, stateError }), 1);
  assert.equal(exitCodeOf({ ...failed, paused: true, stateError }), 3);
  assert.equal(exitCodeOf({ ...failed, cancelled: true, stateError }), 130);
});

test("the summary says, on one line, that the state file is stale, with its path and the cause", () => {
  const text = summarize({ ...succeeded(), stateError }, plain, { file: "flow.yaml", stateFile: "/runs/flow.state" });
  const lines = text.split("\n").filter((l) => l.includes("stale"));
  assert.equal(lines.length, 1, text);
  assert.match(lines[0]!, /^wavepool: the state file \/runs\/flow\.state is stale: it could not be written \(Error ENOSPC: ENOSPC: no space left on device, write\)/);
  const failed = summarize({ ...succeeded(), success: false, stateError }, plain, { file: "flow.yaml", stateFile: "/runs/flow.state" });
  assert.doesNotMatch(failed, /continue with/, "no resume hint from a stale file");
  assert.doesNotMatch(summarize(succeeded(), plain, { file: "flow.yaml", stateFile: "/runs/flow.state" }), /stale/);
});

test("the path and cause are escaped like every other text from outside", () => {
  const text = summarize({ ...succeeded(), stateError: { ...stateError, path: "/runs/\x1b[2J.state", message: "bad\nthing" } }, plain,
    { file: "flow.yaml", stateFile: undefined });
  assert.match(text, /\/runs\/\\x1b\[2J\.state is stale: .*bad\\nthing/);
});
