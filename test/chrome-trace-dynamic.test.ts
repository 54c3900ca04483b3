// The Chrome trace of a dynamic run: a slice per item attempt named `research[3]` with its parent
// and index, a slice per iteration with its number, a span per fan-out over its items, and the
// termination and skip reasons in the metadata.
import assert from "node:assert/strict";
import { test } from "node:test";
import { toChromeTrace, type TraceAsyncEvent, type TraceCompleteEvent, type TraceEvent } from "../src/report/chrome-trace.js";
import { fakeDynamicResult, THREADS } from "./fixtures/fake-dynamic-result.js";

const slices = (events: TraceEvent[]): TraceCompleteEvent[] => events.filter((e): e is TraceCompleteEvent => e.ph === "X");
const spans = (events: TraceEvent[]): TraceAsyncEvent[] => events.filter((e): e is TraceAsyncEvent => e.ph === "b" || e.ph === "e");

test("each item attempt is a slice named after the item, with its parent and index; the fan-out's record is none", () => {
  const { result, attempts } = fakeDynamicResult();
  const events = slices(toChromeTrace(result).traceEvents);
  assert.equal(events.length, attempts);
  assert.ok(!events.some((e) => e.name === "research"), "the fan-out ran nothing itself");
  const item3 = events.filter((e) => e.name === "research[3]");
  assert.equal(item3.length, 1);
  assert.deepEqual(item3[0]!.args, { stepId: "research[3]", agent: "Researcher", wave: 1, attempt: 1, status: "completed", parent: "research", item: 3 });
  assert.ok(THREADS.includes(item3[0]!.tid));
  const item5 = events.filter((e) => e.name === "research[5]");
  assert.deepEqual(item5.map((e) => [e.args.attempt, e.args.status, e.args.item]), [[1, "failed", 5], [2, "completed", 5]]);
  assert.equal(item5[0]!.args.error?.message, "rate limited");
  const plan = events.find((e) => e.name === "plan");
  assert.ok(plan && !("parent" in plan.args) && !("item" in plan.args) && !("iteration" in plan.args), "plain steps carry no dynamic fields");
});

test("each iteration of a repeat step is a slice with its iteration", () => {
  const { result } = fakeDynamicResult();
  const polish = slices(toChromeTrace(result).traceEvents).filter((e) => e.name === "polish");
  assert.deepEqual(polish.map((e) => [e.args.iteration, e.args.attempt]), [[1, 1], [2, 2], [3, 3]]);
  assert.ok(polish.every((e, i) => i === 0 || e.ts >= polish[i - 1]!.ts + polish[i - 1]!.dur));
});

test("a fan-out is a span over its items: begin at the first item's start, end at the last one's end", () => {
  const { result } = fakeDynamicResult();
  const trace = toChromeTrace(result);
  const [begin, end, ...more] = spans(trace.traceEvents);
  assert.equal(more.length, 0);
  assert.deepEqual([begin?.ph, begin?.name, begin?.cat, begin?.id], ["b", "research[*]", "forEach", "research"]);
  assert.deepEqual([end?.ph, end?.name, end?.cat, end?.id], ["e", "research[*]", "forEach", "research"]);
  assert.deepEqual(begin?.args, { stepId: "research", agent: "Researcher", wave: 1, items: 40 });
  assert.deepEqual(end?.args, { stepId: "research", status: "completed" });
  const items = slices(trace.traceEvents).filter((e) => e.args.parent === "research");
  assert.equal(begin?.ts, Math.min(...items.map((e) => e.ts)));
  assert.ok(Math.abs(end!.ts - Math.max(...items.map((e) => e.ts + e.dur))) < 0.2);
  assert.ok(trace.traceEvents.indexOf(begin!) < trace.traceEvents.indexOf(end!));
  const empty = fakeDynamicResult({ items: 0 }).result;
  assert.equal(spans(toChromeTrace(empty).traceEvents).length, 0, "a fan-out over [] ran nothing and has no span");
});

test("the metadata says the run was terminated and why, counts steps and items apart, and gives skip reasons", () => {
  const { result } = fakeDynamicResult();
  const meta = toChromeTrace(result).metadata;
  assert.equal(meta?.outcome, "terminated");
  assert.equal(meta?.terminated, true);
  assert.equal(meta?.terminationReason, "the draft is good enough");
  assert.deepEqual([meta?.steps, meta?.items], [6, 40]);
  assert.deepEqual(meta?.notRun, { skipped: ["revise", "publish"] }, "the fan-out is not taken for a step that did not run");
  assert.deepEqual(meta?.skipReasons, { revise: "condition", publish: "terminated" });
  const plain = toChromeTrace(fakeDynamicResult({ terminated: false }).result).metadata;
  assert.equal(plain?.terminated, false);
  assert.ok(plain !== undefined && !("terminationReason" in plain));
});

test("10,000 items: a slice each, one span, and JSON that round-trips", () => {
  const { result, attempts } = fakeDynamicResult({ items: 10_000 });
  const trace = toChromeTrace(result);
  assert.equal(slices(trace.traceEvents).length, attempts);
  assert.equal(spans(trace.traceEvents).length, 2);
  assert.deepEqual(JSON.parse(JSON.stringify(trace)), trace);
  const ts = trace.traceEvents.filter((e) => e.ph !== "M").map((e) => e.ts);
  assert.ok(ts.every((t, i) => i === 0 || t >= ts[i - 1]!), "sorted by time");
});
