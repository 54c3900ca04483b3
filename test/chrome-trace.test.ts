// The Chrome trace: a complete event per attempt, named threads, microsecond times, plain JSON.
import { test } from "node:test";
import assert from "node:assert/strict";
import { toChromeTrace } from "../src/report/chrome-trace.js";
import type { TraceCompleteEvent, TraceEvent, TraceMetadataEvent } from "../src/report/chrome-trace.js";
import { fakeResult, ODD_IDS } from "./fixtures/fake-result.js";

const slices = (events: TraceEvent[]): TraceCompleteEvent[] => events.filter((e): e is TraceCompleteEvent => e.ph === "X");
const metadata = (events: TraceEvent[], name: string): TraceMetadataEvent[] =>
  events.filter((e): e is TraceMetadataEvent => e.ph === "M" && e.name === name);

test("one complete event per attempt, with the step, agent, wave, attempt and status", () => {
  const { result, attempts } = fakeResult();
  const trace = toChromeTrace(result);
  const events = slices(trace.traceEvents);
  assert.equal(events.length, attempts);
  assert.equal(trace.displayTimeUnit, "ms");
  for (const e of events) {
    assert.equal(e.pid, 1);
    assert.equal(e.name, e.args.stepId);
    assert.equal(e.cat, e.args.status);
    assert.ok(Number.isFinite(e.ts) && e.ts >= 0, `ts ${e.ts}`);
    assert.ok(Number.isFinite(e.dur) && e.dur >= 0, `dur ${e.dur}`);
  }
  const retried = events.filter((e) => e.args.stepId === "step_20");
  assert.deepEqual(retried.map((e) => [e.args.attempt, e.args.status]), [[1, "failed"], [2, "failed"], [3, "failed"]]);
  assert.deepEqual(retried[0]?.args.error, { name: "StepFailedError", code: "WAVEPOOL_STEP_FAILED", message: `step step_20 <failed> & "why"` });
  assert.equal(events.find((e) => e.args.status === "completed")?.args.error, undefined);
});

test("times are microseconds from the run's start", () => {
  const { result } = fakeResult();
  const events = slices(toChromeTrace(result).traceEvents);
  const step = result.steps.find((s) => s.stepId === "step_10");
  const timedOut = events.find((e) => e.args.stepId === "step_10" && e.args.attempt === 1);
  const attempt = step?.history[0];
  assert.ok(attempt && timedOut);
  assert.equal(timedOut.ts, (attempt.startedAt - result.startedAt) * 1000);
  assert.equal(timedOut.dur, (attempt.endedAt - attempt.startedAt) * 1000);
  assert.equal(timedOut.cat, "timed_out");
  assert.deepEqual(events.map((e) => e.ts), events.map((e) => e.ts).sort((a, b) => a - b), "sorted by start");
});

test("an attempt shorter than a millisecond keeps its fractional start and its width", () => {
  const { result } = fakeResult();
  const step = result.steps.find((s) => s.stepId === "step_7");
  const attempt = step?.history[0];
  assert.ok(step && attempt);
  attempt.startedAt = result.startedAt + 12.5;
  attempt.endedAt = attempt.startedAt + 0.3;
  const slice = slices(toChromeTrace(result).traceEvents).find((e) => e.args.stepId === "step_7");
  assert.equal(slice?.ts, 12_500);
  // An epoch-ms double near 1.7e12 holds steps of ~0.24 µs, so 0.3 ms comes back to within that.
  assert.ok(slice !== undefined && Math.abs(slice.dur - 300) <= 0.3, `dur ${slice?.dur}`);
});

test("the process and every thread are named, threads sorted by id", () => {
  const { result, threads: firstUse } = fakeResult();
  const threads = [...firstUse].sort((a, b) => a - b);
  const trace = toChromeTrace(result);
  const [process] = metadata(trace.traceEvents, "process_name");
  assert.deepEqual(process?.args, { name: "wavepool run run-<1>&2" });
  assert.equal(trace.metadata?.title, undefined);
  const names = metadata(trace.traceEvents, "thread_name");
  assert.deepEqual(names.map((e) => [e.tid, e.args]), threads.map((t) => [t, { name: `thread ${t}` }]));
  assert.ok(threads.includes(107), "the thread that replaced a timed-out one has its own track");
  const order = metadata(trace.traceEvents, "thread_sort_index");
  assert.deepEqual(order.map((e) => [e.tid, e.args]), threads.map((t, i) => [t, { sort_index: i }]));
  const used = new Set(slices(trace.traceEvents).map((e) => e.tid));
  assert.deepEqual([...used].sort(), [...threads].sort());
  assert.ok(trace.traceEvents.every((e) => e.pid === 1));
});

test("skipped and never-started steps are listed in metadata; waves are instant markers", () => {
  const { result } = fakeResult();
  const trace = toChromeTrace(result);
  assert.deepEqual(trace.metadata?.notRun, { skipped: ["step_46", "step_47"], cancelled: ["step_48"] });
  assert.equal(trace.metadata?.runId, result.runId);
  assert.equal(trace.metadata?.startedAt, new Date(result.startedAt).toISOString());
  const waves = trace.traceEvents.filter((e) => e.ph === "i");
  assert.deepEqual(waves.map((e) => e.name), result.waves.slice(1).map((_, i) => `wave ${i + 1}`));
  assert.ok(waves.every((e) => e.ph === "i" && e.s === "g" && e.ts > 0));
});

test("the trace survives JSON.stringify and parse unchanged, odd ids included", () => {
  const { result } = fakeResult();
  const trace = toChromeTrace(result);
  const text = JSON.stringify(trace);
  assert.deepEqual(JSON.parse(text), trace);
  const names = new Set(slices((JSON.parse(text) as { traceEvents: TraceEvent[] }).traceEvents).map((e) => e.name));
  for (const id of ODD_IDS) assert.ok(names.has(id), id);
});

test("an empty run and attempts restored from an earlier run give no negative times", () => {
  const { result } = fakeResult();
  const first = result.steps[0];
  assert.ok(first);
  const restored = { ...first, history: [{ attempt: 1, status: "completed" as const, threadId: 99, startedAt: result.startedAt - 60_000, endedAt: result.startedAt - 59_000 }] };
  const trace = toChromeTrace({ ...result, steps: [restored, ...result.steps.slice(1)] });
  assert.ok(trace.traceEvents.every((e) => e.ts >= 0));
  assert.ok(!trace.traceEvents.some((e) => e.tid === 99));
  assert.deepEqual(trace.metadata?.notRun.completed, [first.stepId]);
  const empty = toChromeTrace({ ...result, steps: [] });
  assert.deepEqual(empty.traceEvents.map((e) => e.name), ["process_name"]);
});

test("a title (the run's goal) names the process, followed by the run id", () => {
  const { result } = fakeResult();
  const trace = toChromeTrace(result, { title: "Write article based on parallel research" });
  const [process] = metadata(trace.traceEvents, "process_name");
  assert.deepEqual(process?.args, { name: "Write article based on parallel research · run run-<1>&2" });
  assert.equal(trace.metadata?.title, "Write article based on parallel research");
  const blank = metadata(toChromeTrace(result, { title: "  " }).traceEvents, "process_name")[0];
  assert.deepEqual(blank?.args, { name: "wavepool run run-<1>&2" }, "a blank title is no title");
});
