// The live display of a dynamic run, from synthetic events (no terminal, no threads): a fan-out is
// one row with its items' counts, a repeat step says its iteration, skips say why, and a
// 10,000-item fan-out keeps the frame as small as the strategy.
import assert from "node:assert/strict";
import { test } from "node:test";
import { palette, visibleLength } from "../src/cli/ansi.js";
import { bar, renderFrame } from "../src/cli/progress-frame.js";
import { ProgressModel } from "../src/cli/progress-model.js";
import type { RunEvent } from "../src/run/events.js";
import { dynamicStrategy } from "./fixtures/dynamic-strategy.js";
import { eventsOf } from "./fixtures/fake-dynamic-events.js";
import { fakeDynamicResult } from "./fixtures/fake-dynamic-result.js";

const plain = palette(false);
const frameAt = (model: ProgressModel, now: number, rows = 40): string[] => renderFrame(model, now, { columns: 120, rows, colours: plain, tick: 0 });
const rowOf = (lines: string[], label: string): string => lines.find((l) => l.startsWith(` ${l[1]} ${label} `)) ?? assert.fail(`no row ${label} in\n${lines.join("\n")}`);

/** A model fed the run's events up to `until` (epoch ms), and the events. */
function modelUntil(until: number, options?: Parameters<typeof fakeDynamicResult>[0]): { model: ProgressModel; events: RunEvent[] } {
  const { result } = fakeDynamicResult(options);
  const events = eventsOf(result);
  const model = new ProgressModel(dynamicStrategy());
  for (const event of events) if (event.time <= until && event.type !== "run:end") model.apply(event);
  return { model, events };
}

test("while a fan-out runs, its one row counts the items done, running and failed", () => {
  const { result } = fakeDynamicResult();
  const events = eventsOf(result);
  // Up to item 5's failed first attempt: items 0-3 are done, 4 and 6 running (7 starts next).
  const failed = events.findIndex((e) => e.type === "step:end" && e.item === 5 && e.status === "failed");
  const model = new ProgressModel(dynamicStrategy());
  for (const event of events.slice(0, failed + 1)) model.apply(event);
  const lines = frameAt(model, events[failed]!.time);
  assert.match(lines[0]!, /· 6 steps in 5 waves$/);
  assert.equal(lines.length, 1 + 6 + 1, "a row per step, none per item");
  assert.ok(!lines.some((l) => /research\[\d+\]/.test(l)), lines.join("\n"));
  assert.equal(rowOf(lines, "research[*]"), " ⠋ research[*]  Researcher  running    0.01s  4 done · 2 running · 1 failed  [5] StepFailedError: rate limited");
  assert.equal(rowOf(lines, "plan"), " ✔ plan         Planner     completed  0.01s");
  assert.equal(rowOf(lines, "review"), " · review       Reviewer    queued");
  // The retry starts: the item runs again, and the error goes with its failure.
  model.apply(events[failed + 1]!);
  assert.equal(rowOf(frameAt(model, events[failed]!.time), "research[*]"), " ⠋ research[*]  Researcher  running    0.01s  4 done · 3 running");
});

test("a fan-out is done when a step after it starts; at the end its row gives the total", () => {
  const { result } = fakeDynamicResult();
  const review = result.steps.find((s) => s.stepId === "review")!;
  const research = result.steps.find((s) => s.stepId === "research")!;
  const { model, events } = modelUntil(review.startedAt!);
  let row = rowOf(frameAt(model, review.startedAt!), "research[*]");
  assert.match(row, /^ ✔ research\[\*\] +Researcher +completed +0\.0\ds {2}40 done$/, "completed, timed from its first item to its last");
  assert.equal(model.steps.find((s) => s.stepId === "research")?.durationMs, research.endedAt! - research.startedAt!);
  model.apply(events.at(-1)!);
  row = rowOf(frameAt(model, result.endedAt), "research[*]");
  assert.match(row, / {2}40\/40 done$/);
});

test("a repeat step's row says its iteration while it runs, and how many ran at the end", () => {
  const { result } = fakeDynamicResult();
  const polish = result.steps.find((s) => s.stepId === "polish")!;
  const second = polish.history[1]!;
  const { model, events } = modelUntil(second.startedAt + 1);
  assert.equal(rowOf(frameAt(model, second.startedAt + 1), "polish"), " ⠋ polish       Writer      running    0.00s  iteration 2");
  model.apply(events.at(-1)!);
  assert.equal(rowOf(frameAt(model, result.endedAt), "polish"), " ✔ polish       Writer      completed  0.01s  3 iterations, the most allowed");
});

test("the last frame: skips say why, a fan-out counts once in the bar and the tally", () => {
  const { model, events } = modelUntil(Infinity);
  model.apply(events.at(-1)!);
  const lines = frameAt(model, Infinity);
  assert.equal(rowOf(lines, "revise"), " ↷ revise       Writer      skipped (condition)");
  assert.equal(rowOf(lines, "publish"), " ↷ publish      Publisher   skipped (terminated)");
  assert.match(lines.at(-1)!, new RegExp(`^ ${bar(1, 24)} 6/6 {2}✔ 4 {2}↷ 2 {2}`));
  assert.deepEqual(model.counts(), { queued: 0, running: 0, completed: 4, failed: 0, timed_out: 0, skipped: 2, cancelled: 0, paused: 0 });
});

test("a failed fan-out shows its items' counts and the latest item error", () => {
  const { result } = fakeDynamicResult({ items: 8, terminated: false });
  const error = { name: "StepFailedError", code: "WAVEPOOL_STEP_FAILED", message: "no source" };
  for (const s of result.steps) {
    if (s.stepId === "research[6]") Object.assign(s, { status: "failed", error, history: s.history.map((a) => ({ ...a, status: "failed", error })) });
    if (s.stepId === "research") s.status = "failed";
  }
  const model = new ProgressModel(dynamicStrategy());
  for (const event of eventsOf(result)) model.apply(event);
  const row = rowOf(frameAt(model, result.endedAt), "research[*]");
  assert.match(row, /^ ✖ research\[\*\] +Researcher +failed +0\.0\ds {2}7\/8 done · 1 failed {2}\[6\] StepFailedError: no source$/);
});

test("a resumed run shows the items its state holds as done, and the rest as queued", () => {
  const { result } = fakeDynamicResult();
  const saved = result.steps.map((s) => (s.parent !== undefined && s.item! >= 12 ? { ...s, status: "pending" as const } : s))
    .map((s) => (s.stepId === "research" ? { ...s, status: "failed" as const } : s));
  const model = new ProgressModel(dynamicStrategy());
  model.restore(saved);
  const lines = frameAt(model, 0);
  assert.equal(rowOf(lines, "research[*]"), " · research[*]  Researcher  queued            12/40 done · 28 queued");
  assert.equal(rowOf(lines, "plan"), " ✔ plan         Planner     completed  0.01s");
});

test("10,000 items: the frame stays one row per step, fits the terminal, and events are cheap", () => {
  const { result } = fakeDynamicResult({ items: 10_000 });
  const events = eventsOf(result);
  const model = new ProgressModel(dynamicStrategy());
  const started = performance.now();
  for (const event of events) {
    model.apply(event);
    if (event.type === "step:end" && event.item !== undefined && event.item % 1000 === 0) renderFrame(model, event.time, { columns: 80, rows: 24, colours: plain, tick: 0 });
  }
  const took = performance.now() - started;
  assert.ok(took < 2000, `${events.length} events and 10 frames in ${Math.round(took)} ms`);
  const lines = renderFrame(model, result.endedAt, { columns: 60, rows: 24, colours: palette(true), tick: 0 });
  assert.equal(lines.length, 8);
  assert.ok(lines.every((l) => visibleLength(l) <= 59), lines.join("\n"));
  assert.match(rowOf(renderFrame(model, result.endedAt, { columns: 120, rows: 24, colours: plain, tick: 0 }), "research[*]"), / {2}10000\/10000 done$/);
});

test("a fan-out whose step has events of its own: running from its start, over at its end, its own error shown", () => {
  const model = new ProgressModel(dynamicStrategy());
  const own = { runId: "r", stepId: "research", agent: "Researcher", wave: 1, attempt: 1 } as const;
  model.apply({ type: "run:start", runId: "r", time: 0, steps: 6, waves: [] });
  model.apply({ type: "step:start", time: 10, ...own });
  assert.equal(rowOf(frameAt(model, 1010), "research[*]"), " ⠋ research[*]  Researcher  running    1.00s");
  const error = { name: "StrategyValidationError", code: "WAVEPOOL_STRATEGY_INVALID", message: "forEach of step research gave a string, not an array" };
  model.apply({ type: "step:end", time: 20, ...own, status: "failed", threadId: -1, durationMs: 10, error });
  assert.match(rowOf(frameAt(model, 1010), "research[*]"),
    /^ ✖ research\[\*\] {2}Researcher {2}failed {5}0\.01s {2}StrategyValidationError: forEach of step research gave a string, not an …$/);
});

test("a fan-out over an empty list completes with 0/0 done", () => {
  const { result } = fakeDynamicResult({ items: 0, terminated: false });
  const model = new ProgressModel(dynamicStrategy());
  for (const event of eventsOf(result)) model.apply(event);
  assert.equal(rowOf(frameAt(model, result.endedAt), "research[*]"), " ✔ research[*]  Researcher  completed         0/0 done");
});
