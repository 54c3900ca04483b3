// The line display of a dynamic run (a pipe, a CI log): a fan-out's items are told in a handful of
// tallies, the first failures and a last tally when it is over, never a line per item; iterations
// and termination are said.
import assert from "node:assert/strict";
import { test } from "node:test";
import { palette } from "../src/cli/ansi.js";
import { ITEM_FAILURES_SHOWN, nextTally } from "../src/cli/item-lines.js";
import { describeEvent, LineProgress } from "../src/cli/progress-lines.js";
import type { RunEvent } from "../src/run/events.js";
import { dynamicStrategy } from "./fixtures/dynamic-strategy.js";
import { eventsOf } from "./fixtures/fake-dynamic-events.js";
import { fakeDynamicResult } from "./fixtures/fake-dynamic-result.js";

const plain = palette(false);

function linesOf(events: RunEvent[], withStrategy = true): string[] {
  const lines: string[] = [];
  const stream = { write: (text: string) => lines.push(text.replace(/^\[[^\]]*\] /, "").trimEnd()) } as unknown as NodeJS.WritableStream;
  const display = new LineProgress(stream, plain, withStrategy ? dynamicStrategy() : undefined);
  for (const event of events) display.onEvent(event);
  return lines;
}

test("tally marks go 1, 2, 5, 10, 20, 50, ...", () => {
  const marks = [0];
  while (marks.length < 14) marks.push(nextTally(marks.at(-1)!));
  assert.deepEqual(marks.slice(1), [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000]);
});

test("10,000 items: a line when they start, the failure, a tally per mark and a last one when a step after them starts", () => {
  const { result } = fakeDynamicResult({ items: 10_000 });
  const lines = linesOf(eventsOf(result));
  assert.ok(lines.length < 50, `${lines.length} lines`);
  assert.ok(!lines.some((l) => /^step:(start|end|progress) research\[\d+\] .* completed/.test(l) || /^step:start research\[/.test(l)), "no line per item");
  assert.deepEqual(lines.filter((l) => l.startsWith("items ") && l.endsWith(" started")), ["items research[*] (Researcher) wave 1 started"]);
  assert.deepEqual(lines.filter((l) => l.startsWith("step:end research[")), ["step:end research[5] (Researcher) failed in 0.00s on thread 3: StepFailedError: rate limited"]);
  const tallies = lines.filter((l) => /^items research\[\*\] \(Researcher\) \d+ done/.test(l));
  assert.equal(tallies.length, 14, "13 marks up to 10,000 item ends, then the last one");
  assert.equal(tallies.at(-1), "items research[*] (Researcher) 10000 done");
  assert.ok(lines.indexOf(tallies.at(-1)!) === lines.findIndex((l) => l.startsWith("step:start review")) - 1, "the last tally just before the step that waited for the items");
  const done = tallies.map((l) => Number(/ (\d+) done/.exec(l)?.[1]));
  assert.ok(done.every((n, i) => i === 0 || n >= done[i - 1]!), done.join(", "));
});

test("without the strategy, the last tally comes when the fan-out's own end is reported, or at run:end", () => {
  const { result } = fakeDynamicResult({ items: 40 });
  const events = eventsOf(result);
  let lines = linesOf(events, false);
  const last = lines.findIndex((l) => l === "items research[*] (Researcher) 40 done");
  assert.equal(last, lines.length - 2, "at run:end");
  assert.match(lines.at(-1)!, /^run:end /);

  const record = result.steps.find((s) => s.stepId === "research")!;
  const lastItem = events.findLastIndex((e) => e.type === "step:end" && e.parent === "research");
  const own: RunEvent = { type: "step:end", runId: result.runId, time: record.endedAt!, stepId: "research", agent: "Researcher", wave: 1, attempt: 1, status: "completed", threadId: -1, durationMs: record.durationMs };
  lines = linesOf([...events.slice(0, lastItem + 1), own, ...events.slice(lastItem + 1)], false);
  const end = lines.findIndex((l) => l.startsWith("step:end research (Researcher) completed"));
  assert.equal(lines[end - 1], "items research[*] (Researcher) 40 done");
  assert.equal(lines.filter((l) => l.endsWith("40 done")).length, 1, "told once");
});

test("item failures: the first few as lines with their errors, then counted in the tallies", () => {
  const { result } = fakeDynamicResult({ items: 30, terminated: false });
  const error = { name: "StepFailedError", code: "WAVEPOOL_STEP_FAILED", message: "no source" };
  for (const s of result.steps) {
    if (s.parent !== undefined && s.item! >= 10) Object.assign(s, { status: "failed", error, history: s.history.map((a) => ({ ...a, status: "failed", error })) });
  }
  const lines = linesOf(eventsOf(result));
  const failures = lines.filter((l) => /^step:end research\[\d+\] \(Researcher\) failed .*: StepFailedError: (no source|rate limited)$/.test(l));
  assert.equal(failures.length, ITEM_FAILURES_SHOWN);
  assert.equal(lines.filter((l) => l === "items research[*] (Researcher) further item failures are counted, not shown").length, 1);
  assert.deepEqual(failures.map((l) => /research\[(\d+)\]/.exec(l)?.[1]), ["5", "10", "11"]);
  assert.ok(lines.includes("items research[*] (Researcher) 10 done · 20 failed"), lines.join("\n"));
});

test("a repeat step's lines say the iteration; a skip is not an error; a terminated run says why", () => {
  const { result } = fakeDynamicResult({ items: 2 });
  const lines = linesOf(eventsOf(result));
  assert.ok(lines.includes("step:start polish (Writer) wave 3 attempt 2 iteration 2"), lines.join("\n"));
  assert.ok(lines.some((l) => /^step:end polish \(Writer\) completed in 0\.01s on thread 4, iteration 3$/.test(l)));
  assert.match(lines.at(-1)!, /^run:end terminated 4 completed, 1 skipped \(condition\), 1 skipped \(terminated\); 2 items: 2 completed in \d+\.\d\ds: the draft is good enough$/);
  const colours = palette(true);
  const skipped = describeEvent({ type: "step:end", runId: "r", time: 0, stepId: "revise", agent: "Writer", wave: 3, attempt: 0, status: "skipped", threadId: -1, durationMs: 0 }, colours);
  assert.equal(skipped, colours.dim("step:end revise (Writer) skipped in 0.00s"));
});
