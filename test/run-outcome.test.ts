// One outcome per run, whoever asks: the exit code, the summary, the line display, the timeline
// and the Chrome trace all follow `runOutcome`. A paused run with a failed step used to be
// "paused" in the line display, "failed" in the summary, and exit 3.
import { test } from "node:test";
import assert from "node:assert/strict";
import { palette } from "../src/cli/ansi.js";
import { EXIT } from "../src/cli/cli-errors.js";
import { describeEvent } from "../src/cli/progress-lines.js";
import { exitCodeOf, summarize } from "../src/cli/run-output.js";
import { toChromeTrace } from "../src/report/chrome-trace.js";
import { runOutcome, statusTally, type RunOutcome } from "../src/report/outcome.js";
import { renderTimeline } from "../src/report/timeline-svg.js";
import type { ParallelOrchestrationResult } from "../src/run/result.js";
import { fakeResult } from "./fixtures/fake-result.js";

const failure = { name: "StepFailedError", code: "WAVEPOOL_STEP_FAILED", message: "boom" };

function variant(change: Partial<ParallelOrchestrationResult>): ParallelOrchestrationResult {
  return { ...fakeResult().result, ...change };
}

const cases: [string, ParallelOrchestrationResult, RunOutcome, number][] = [
  ["every step completed", variant({ success: true }), "succeeded", EXIT.ok],
  ["a step failed", variant({ error: failure }), "failed", EXIT.stepFailed],
  ["paused with a failed step", variant({ paused: true, error: failure, pendingApprovals: [{ stepId: "s", agent: "A", message: "ok?" }] }), "failed", EXIT.stepFailed],
  ["fail-fast cancelled the rest", variant({ cancelled: true, error: failure }), "failed", EXIT.stepFailed],
  ["paused", variant({ paused: true, pendingApprovals: [{ stepId: "s", agent: "A", message: "ok?" }] }), "paused", EXIT.paused],
  ["cancelled", variant({ cancelled: true }), "cancelled", EXIT.cancelled],
  ["a termination ended it", variant({ success: true, terminated: true, terminationReason: "enough" }), "terminated", EXIT.ok],
  ["a termination stopped running steps", variant({ terminated: true, terminationReason: "enough" }), "terminated", EXIT.ok],
  ["a step failed before the termination", variant({ terminated: true, error: failure }), "failed", EXIT.stepFailed],
];

for (const [name, result, outcome, code] of cases) {
  test(`${name}: ${outcome} in every report`, () => {
    assert.equal(runOutcome(result), outcome);
    assert.equal(exitCodeOf(result), code);
    const line = describeEvent({ type: "run:end", time: result.endedAt, runId: result.runId, result }, palette(false));
    assert.match(line, new RegExp(`^run:end ${outcome} `));
    assert.match(renderTimeline(result), new RegExp(`<text class="subtitle"[^\n]* · ${outcome}</text>`));
    assert.equal(toChromeTrace(result).metadata?.outcome, outcome);
    const summary = summarize(result, palette(false), { file: "flow.yaml", stateFile: undefined });
    const word = { succeeded: "completed", terminated: "terminated", failed: "failed", paused: "paused", cancelled: "cancelled" }[outcome];
    assert.match(summary.split("\n")[0]!, new RegExp(word));
  });
}

test("statuses read the same everywhere: `timed out`, never `timed_out`", () => {
  const { result } = fakeResult();
  result.steps[10] = { ...result.steps[10]!, status: "timed_out" };
  assert.match(statusTally(result), /\d+ timed out/);
  const text = [statusTally(result), summarize(result, palette(false), { file: "f.yaml", stateFile: undefined }), renderTimeline(result)].join("\n");
  assert.doesNotMatch(text, /timed_out/);
});
