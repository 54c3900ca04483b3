// What `wavepool run` says after a dynamic run: a fan-out counts as one step with its items told
// apart, skips say why, a terminated run says why it ended and exits 0.
import assert from "node:assert/strict";
import { test } from "node:test";
import { palette } from "../src/cli/ansi.js";
import { EXIT } from "../src/cli/cli-errors.js";
import { exitCodeOf, ITEM_ERRORS_SHOWN, stepTable, summarize } from "../src/cli/run-output.js";
import { runOutcome, statusTally, statusText } from "../src/report/outcome.js";
import { fakeDynamicResult } from "./fixtures/fake-dynamic-result.js";

const plain = palette(false);
const context = { file: "flow.yaml", stateFile: undefined };

test("a skip says its reason when it is news: a condition or a termination, not a failed dependency", () => {
  assert.equal(statusText({ status: "skipped", skipReason: "condition" }), "skipped (condition)");
  assert.equal(statusText({ status: "skipped", skipReason: "terminated" }), "skipped (terminated)");
  assert.equal(statusText({ status: "skipped", skipReason: "dependency" }), "skipped");
  assert.equal(statusText({ status: "skipped" }), "skipped");
  assert.equal(statusText({ status: "timed_out" }), "timed out");
});

test("the tally counts steps, then the items of fan-outs apart", () => {
  const { result } = fakeDynamicResult();
  assert.equal(statusTally(result), "4 completed, 1 skipped (condition), 1 skipped (terminated); 40 items: 40 completed");
  assert.equal(statusTally(fakeDynamicResult({ items: 1 }).result).split("; ")[1], "1 item: 1 completed");
});

test("a terminated run: its own word, exit 0, and a summary that says why and counts the skips", () => {
  const { result } = fakeDynamicResult();
  assert.equal(runOutcome(result), "terminated");
  assert.equal(exitCodeOf(result), EXIT.ok);
  const lines = summarize(result, plain, context).trimEnd().split("\n");
  assert.match(lines[0]!, /^■ terminated after \d+\.\d\ds: the draft is good enough$/);
  assert.equal(lines[1], "  4 completed, 1 skipped (condition), 1 skipped (terminated); 40 items: 40 completed");
  assert.equal(lines.length, 2, "nothing failed, nothing to resume");
  assert.equal(exitCodeOf({ ...result, stateError: { path: "s", name: "Error", message: "disk full" } }), EXIT.stepFailed, "a stale state still fails");
  const reasonless = summarize({ ...result, terminationReason: "" }, plain, context);
  assert.match(reasonless, /^■ terminated after \d+\.\d\ds\n/);
});

test("a run with a condition skip and a fan-out succeeds with the count of steps, not of records", () => {
  const { result } = fakeDynamicResult({ terminated: false });
  assert.equal(runOutcome(result), "succeeded");
  assert.equal(exitCodeOf(result), EXIT.ok);
  const first = summarize(result, plain, context).split("\n")[0]!;
  assert.match(first, /^✔ 5\/6 steps completed in \d+\.\d\ds: 5 completed, 1 skipped \(condition\); 40 items: 40 completed$/);
});

test("failed items are told a few at a time, then counted", () => {
  const { result } = fakeDynamicResult({ items: 50, terminated: false });
  const error = { name: "StepFailedError", code: "WAVEPOOL_STEP_FAILED", message: "no source" };
  for (const s of result.steps) if (s.parent !== undefined && s.item! % 2 === 0) Object.assign(s, { status: "failed", error });
  Object.assign(result, { success: false, error });
  const summary = summarize(result, plain, context);
  assert.equal(summary.match(/ research\[\d+\] \(Researcher\) failed: StepFailedError: no source/g)?.length, ITEM_ERRORS_SHOWN);
  assert.match(summary, /\n {2}… and 20 more failed items \(--json has every error\)\n/);
  assert.equal(exitCodeOf(result), EXIT.stepFailed);
});

test("the step table has one row for a fan-out, with its items' attempts, and the skip reasons", () => {
  const { result } = fakeDynamicResult({ items: 100 });
  const lines = stepTable(result).trimEnd().split("\n");
  assert.equal(lines.length, 2 + 6, "a row per step, however many items");
  const fanOut = lines.find((l) => l.startsWith("research[*]"));
  assert.match(fanOut ?? "", /^research\[\*\] +Researcher +1 +- +completed +101 +\d+\.\d\ds$/, "100 items, one retried");
  assert.match(lines.find((l) => l.startsWith("revise")) ?? "", / skipped \(condition\) +0 +-$/);
  assert.match(lines.find((l) => l.startsWith("publish")) ?? "", / skipped \(terminated\) +0 +-$/);
  assert.match(lines.find((l) => l.startsWith("polish")) ?? "", / completed +3 +/);
});
