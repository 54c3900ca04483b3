// OpenTelemetry spans of real runs: run > wave > step attempt, attributes, parent links, statuses.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { SpanStatusCode } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { ParallelOrchestrator, ParallelOrchestratorConfig, type RunEvent } from "wavepool";
import { tracingListener } from "../src/run/tracing.js";
import { agent, startCell, strategyOf, waitForCell } from "./helpers.js";

function tracer(): { exporter: InMemorySpanExporter; listener: (event: RunEvent) => void } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  after(() => provider.shutdown());
  return { exporter, listener: tracingListener(provider.getTracer("wavepool-test")) };
}

const named = (spans: ReadableSpan[], name: string): ReadableSpan[] => spans.filter((s) => s.name === name);
const stepSpan = (spans: ReadableSpan[], stepId: string): ReadableSpan[] =>
  named(spans, "wavepool.step").filter((s) => s.attributes["wavepool.step_id"] === stepId);
const ms = ([s, ns]: [number, number]): number => s * 1000 + ns / 1e6;

test("a run with a failing branch: one run span, a span per wave and per step attempt, linked and timed", async () => {
  const strategy = strategyOf(
    ["a", "Echo", "a"],
    ["b", "Echo", "{{ a_out.intent }}"],
    ["bad", "Fail", "x"],
    ["after_bad", "Echo", "{{ bad_out }}"],
  );
  const o = new ParallelOrchestrator(strategy, { threads: 2 }).addAgent("Echo", agent("echo")).addAgent("Fail", agent("fail"));
  after(() => o.close());
  const { exporter, listener } = tracer();
  const result = await o.execute("t", { onEvent: listener });
  assert.equal(result.success, false);
  const spans = exporter.getFinishedSpans();

  const [run, ...moreRuns] = named(spans, "wavepool.run");
  assert.ok(run);
  assert.equal(moreRuns.length, 0);
  assert.equal(run.attributes["wavepool.run_id"], result.runId);
  assert.equal(run.status.code, SpanStatusCode.ERROR);
  assert.match(run.status.message ?? "", /no quota left/);
  assert.equal(run.parentSpanContext, undefined);

  const waves = named(spans, "wavepool.wave").sort((x, y) => Number(x.attributes["wavepool.wave"]) - Number(y.attributes["wavepool.wave"]));
  assert.deepEqual(waves.map((w) => w.attributes["wavepool.wave"]), [0, 1]);
  for (const wave of waves) {
    assert.equal(wave.parentSpanContext?.spanId, run.spanContext().spanId);
    assert.equal(wave.spanContext().traceId, run.spanContext().traceId);
    assert.equal(wave.attributes["wavepool.run_id"], result.runId);
  }

  // after_bad was skipped: it never started, so it has no span.
  assert.deepEqual(named(spans, "wavepool.step").map((s) => s.attributes["wavepool.step_id"]).sort(), ["a", "b", "bad"]);
  for (const record of result.steps.filter((r) => r.status !== "skipped")) {
    const [span] = stepSpan(spans, record.stepId);
    assert.ok(span, record.stepId);
    assert.deepEqual(
      { ...span.attributes },
      {
        "wavepool.run_id": result.runId, "wavepool.step_id": record.stepId, "wavepool.agent": record.agent,
        "wavepool.wave": record.wave, "wavepool.attempt": 1, "wavepool.thread_id": record.threadId, "wavepool.status": record.status,
      },
    );
    assert.equal(span.parentSpanContext?.spanId, waves[record.wave]!.spanContext().spanId, `${record.stepId} is a child of its wave`);
    assert.ok(ms(span.startTime) >= ms(run.startTime) && ms(span.endTime) <= ms(run.endTime));
    assert.ok(ms(span.endTime) <= ms(waves[record.wave]!.endTime), `${record.stepId} ends inside its wave`);
  }
  const [ok] = stepSpan(spans, "a");
  assert.equal(ok!.status.code, SpanStatusCode.UNSET);
  const [bad] = stepSpan(spans, "bad");
  assert.equal(bad!.status.code, SpanStatusCode.ERROR);
  assert.match(bad!.status.message ?? "", /QuotaError|no quota left/);
  assert.equal(bad!.events[0]?.name, "exception");
});

test("a retried step gets one span per attempt; progress becomes span events", async () => {
  const dir = await mkdtemp(join(tmpdir(), "wavepool-trace-"));
  after(() => rm(dir, { recursive: true, force: true }));
  const o = new ParallelOrchestrator(strategyOf(["flaky", "Flaky", "x", "f", { retries: 1 }], ["chat", "Chatty", "x"]), {
    threads: 2, retries: { backoffMs: 1 },
  }).addAgent("Flaky", { module: agent("flaky"), options: { file: join(dir, "tries"), failTimes: 1 } }).addAgent("Chatty", agent("chatty"));
  after(() => o.close());
  const { exporter, listener } = tracer();
  const result = await o.execute("t", { onEvent: listener });
  assert.equal(result.success, true);
  const spans = exporter.getFinishedSpans();
  const tries = stepSpan(spans, "flaky").sort((x, y) => Number(x.attributes["wavepool.attempt"]) - Number(y.attributes["wavepool.attempt"]));
  assert.deepEqual(tries.map((s) => [s.attributes["wavepool.attempt"], s.attributes["wavepool.status"], s.status.code]), [
    [1, "failed", SpanStatusCode.ERROR], [2, "completed", SpanStatusCode.UNSET],
  ]);
  assert.equal(named(spans, "wavepool.run")[0]!.status.code, SpanStatusCode.UNSET);
  const [chat] = stepSpan(spans, "chat");
  assert.deepEqual(chat!.events.map((e) => [e.name, e.attributes?.["wavepool.progress"], e.attributes?.["wavepool.message"]]), [
    ["wavepool.progress", 0.5, "half way"], ["wavepool.progress", 1, "done"],
  ]);
});

test("a cancelled run: the terminated step and the run span carry an error status", async () => {
  const started = startCell();
  const o = new ParallelOrchestrator(strategyOf(["hang", "Spin", "forever"]), { threads: 1 })
    .addAgent("Spin", { module: agent("spin"), options: { started } });
  after(() => o.close());
  const { exporter, listener } = tracer();
  const controller = new AbortController();
  const running = o.execute("t", { onEvent: listener, signal: controller.signal });
  await waitForCell(started);
  controller.abort();
  const result = await running;
  assert.equal(result.cancelled, true);
  const spans = exporter.getFinishedSpans();
  const [hang] = stepSpan(spans, "hang");
  assert.equal(hang!.attributes["wavepool.status"], "cancelled");
  assert.equal(hang!.status.code, SpanStatusCode.ERROR);
  const [run] = named(spans, "wavepool.run");
  assert.equal(run!.status.code, SpanStatusCode.ERROR);
  assert.equal(run!.attributes["wavepool.status"], "cancelled");
});

test("one listener follows two runs in flight at once without mixing their spans", async () => {
  const o = new ParallelOrchestrator(strategyOf(["a", "Sleep", "sleep 30"], ["b", "Sleep", "{{ a_out }}"]), { threads: 2 })
    .addAgent("Sleep", agent("sleep"));
  after(() => o.close());
  const { exporter, listener } = tracer();
  const results = await Promise.all([o.execute("one", { onEvent: listener }), o.execute("two", { onEvent: listener })]);
  const spans = exporter.getFinishedSpans();
  for (const result of results) {
    const run = named(spans, "wavepool.run").find((s) => s.attributes["wavepool.run_id"] === result.runId)!;
    const mine = spans.filter((s) => s.attributes["wavepool.run_id"] === result.runId);
    assert.equal(mine.length, 1 + 2 + 2);
    for (const span of mine) assert.equal(span.spanContext().traceId, run.spanContext().traceId);
  }
});

test("withTracer(tracer) traces every run of the orchestrator without an onEvent listener", async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  after(() => provider.shutdown());
  const config = new ParallelOrchestratorConfig().withThreads(1).withTracer(provider.getTracer("wavepool-test"));
  const o = ParallelOrchestrator.withConfig(strategyOf(["a", "Echo", "a"], ["b", "Echo", "{{ a_out.intent }}"]), config).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const first = await o.execute("one");
  const second = await o.execute("two");
  const runs = named(exporter.getFinishedSpans(), "wavepool.run").map((s) => s.attributes["wavepool.run_id"]);
  assert.deepEqual(runs, [first.runId, second.runId]);
  assert.equal(named(exporter.getFinishedSpans(), "wavepool.step").length, 4);
});

test("a redesign: the run that handed over has its spans ended and marked, the run that goes on has its own, same run id", async () => {
  const strategy = strategyOf(["a", "Echo", "a"], ["bad", "Fail", "x"], ["after", "Echo", "{{ bad_out }}"]);
  const o = new ParallelOrchestrator(strategy, { threads: 2 }).addAgent("Echo", agent("echo")).addAgent("Fail", agent("fail"));
  after(() => o.close());
  const { exporter, listener } = tracer();
  const starts: string[] = [];
  const result = await o.execute("t", {
    onEvent: (e) => {
      listener(e);
      if (e.type === "step:start") starts.push(`${e.stepId}#${e.attempt}`);
    },
    onStepFailed: () => strategyOf(["a", "Echo", "a"], ["bad", "Echo", "fixed"], ["after", "Echo", "{{ bad_out.intent }}"]),
  });
  assert.equal(result.success, true);
  assert.equal(result.redesigns.length, 1);
  const spans = exporter.getFinishedSpans();
  const runs = named(spans, "wavepool.run");
  assert.equal(runs.length, 2);
  assert.deepEqual(runs.map((r) => r.attributes["wavepool.run_id"]), [result.runId, result.runId]);
  assert.equal(runs.filter((r) => r.attributes["wavepool.redesigned"] === true).length, 1);
  assert.equal(named(spans, "wavepool.step").length, starts.length, "every attempt that started has an ended span");
});
