// OpenTelemetry spans of a dynamic run, from its events (no threads needed): items are step spans
// with wavepool.parent and wavepool.item under a wavepool.foreach span of their step, iterations
// carry wavepool.iteration, and a terminated run is no error and says why.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { SpanStatusCode } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { RunEvent } from "../src/run/events.js";
import { SPAN_ATTRIBUTES as A, tracingListener } from "../src/run/tracing.js";
import { eventsOf } from "./fixtures/fake-dynamic-events.js";
import { fakeDynamicResult } from "./fixtures/fake-dynamic-result.js";

function spansOf(events: RunEvent[]): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  after(() => provider.shutdown());
  const listener = tracingListener(provider.getTracer("wavepool-test"));
  for (const event of events) listener(event);
  return exporter.getFinishedSpans();
}

const named = (spans: ReadableSpan[], name: string): ReadableSpan[] => spans.filter((s) => s.name === name);
const ms = ([s, ns]: [number, number]): number => s * 1000 + ns / 1e6;
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

test("each item attempt is a step span with parent and item, under one wavepool.foreach span of its step", () => {
  const { result, attempts } = fakeDynamicResult({ items: 12 });
  const spans = spansOf(eventsOf(result));
  const steps = named(spans, "wavepool.step");
  assert.equal(steps.length, attempts);
  const [fanOut, ...more] = named(spans, "wavepool.foreach");
  assert.ok(fanOut);
  assert.equal(more.length, 0);
  assert.deepEqual({ ...fanOut.attributes }, {
    [A.runId]: result.runId, [A.stepId]: "research", [A.agent]: "Researcher", [A.wave]: 1, [A.status]: "completed", [A.items]: 12,
  });
  const wave1 = named(spans, "wavepool.wave").find((w) => w.attributes[A.wave] === 1);
  assert.equal(parentOf(fanOut), wave1?.spanContext().spanId, "the fan-out is a child of its wave");
  const items = steps.filter((s) => s.attributes[A.parent] === "research");
  assert.equal(items.length, 13, "12 items, one retried");
  assert.ok(items.every((s) => parentOf(s) === fanOut.spanContext().spanId), "items are children of the fan-out");
  const item3 = items.find((s) => s.attributes[A.stepId] === "research[3]");
  assert.equal(item3?.attributes[A.item], 3);
  assert.equal(item3?.attributes[A.attempt], 1);
  assert.equal(typeof item3?.attributes[A.threadId], "number");
  const item5 = items.filter((s) => s.attributes[A.item] === 5).map((s) => [s.attributes[A.attempt], s.attributes[A.status], s.status.code]);
  assert.deepEqual(item5.sort(), [[1, "failed", SpanStatusCode.ERROR], [2, "completed", SpanStatusCode.UNSET]], "items are keyed apart: stepId#attempt");
  const record = result.steps.find((s) => s.stepId === "research")!;
  assert.equal(ms(fanOut.startTime), record.startedAt);
  assert.ok(Math.abs(ms(fanOut.endTime) - record.endedAt!) < 0.01, "the fan-out spans its items");
  assert.equal(fanOut.status.code, SpanStatusCode.UNSET);
  const plain = steps.find((s) => s.attributes[A.stepId] === "plan")!;
  assert.ok(!(A.parent in plain.attributes) && !(A.item in plain.attributes) && !(A.iteration in plain.attributes));
});

test("each iteration of a repeat step is a step span with its iteration", () => {
  const spans = spansOf(eventsOf(fakeDynamicResult().result));
  const polish = named(spans, "wavepool.step").filter((s) => s.attributes[A.stepId] === "polish")
    .sort((x, y) => Number(x.attributes[A.attempt]) - Number(y.attributes[A.attempt]));
  assert.deepEqual(polish.map((s) => [s.attributes[A.attempt], s.attributes[A.iteration], s.attributes[A.status]]), [
    [1, 1, "completed"], [2, 2, "completed"], [3, 3, "completed"],
  ]);
});

test("a terminated run is no error: its span says terminated, why, and how many steps were skipped", () => {
  const { result } = fakeDynamicResult();
  const [run] = named(spansOf(eventsOf(result)), "wavepool.run");
  assert.equal(run?.status.code, SpanStatusCode.UNSET);
  assert.equal(run?.attributes[A.status], "terminated");
  assert.equal(run?.attributes["wavepool.terminated"], true);
  assert.equal(run?.attributes["wavepool.termination_reason"], "the draft is good enough");
  assert.equal(run?.attributes["wavepool.steps_skipped"], 2);
  const [plain] = named(spansOf(eventsOf(fakeDynamicResult({ terminated: false }).result)), "wavepool.run");
  assert.equal(plain?.attributes[A.status], "succeeded");
  assert.ok(!("wavepool.terminated" in (plain?.attributes ?? {})));
});

test("a fan-out whose step has events of its own: items go under its step span, or its end closes the fan-out span", () => {
  const { result } = fakeDynamicResult({ items: 3 });
  const events = eventsOf(result);
  const record = result.steps.find((s) => s.stepId === "research")!;
  const own = { runId: result.runId, stepId: "research", agent: "Researcher", wave: 1, attempt: 1 };
  const end: RunEvent = { type: "step:end", time: record.endedAt!, ...own, status: "failed", threadId: -1, durationMs: record.durationMs };
  const firstItem = events.findIndex((e) => e.type === "step:start" && e.parent === "research");
  const lastItem = events.findLastIndex((e) => e.type === "step:end" && e.parent === "research");

  // The run reports the fan-out's start and end: its items are children of that step span.
  const withStep = [...events.slice(0, firstItem), { type: "step:start", time: record.startedAt!, ...own } as RunEvent,
    ...events.slice(firstItem, lastItem + 1), end, ...events.slice(lastItem + 1)];
  let spans = spansOf(withStep);
  assert.equal(named(spans, "wavepool.foreach").length, 0);
  const step = named(spans, "wavepool.step").find((s) => s.attributes[A.stepId] === "research")!;
  const items = named(spans, "wavepool.step").filter((s) => s.attributes[A.parent] === "research");
  assert.equal(items.length, 3);
  assert.ok(items.every((s) => parentOf(s) === step.spanContext().spanId));

  // Only its end: the wavepool.foreach span ends there with its status, and no step span appears for it.
  spans = spansOf([...events.slice(0, lastItem + 1), end, ...events.slice(lastItem + 1)]);
  const [fanOut] = named(spans, "wavepool.foreach");
  assert.equal(fanOut?.attributes[A.status], "failed");
  assert.equal(fanOut?.attributes[A.items], 3, "the number of items comes from the result");
  assert.equal(ms(fanOut!.endTime), record.endedAt, "it ends where its own end was reported");
  assert.equal(fanOut?.status.code, SpanStatusCode.ERROR);
  assert.ok(!named(spans, "wavepool.step").some((s) => s.attributes[A.stepId] === "research"));
});
