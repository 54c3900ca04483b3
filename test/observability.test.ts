// Events and winston entries: every run/wave/step event with runId; agent logs and progress
// forwarded from the worker through comlink.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Writable } from "node:stream";
import winston from "winston";
import { ParallelOrchestrator, ParallelOrchestratorConfig, type RunEvent } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

function memoryLogger(level: string): { logger: winston.Logger; entries: Record<string, unknown>[] } {
  const entries: Record<string, unknown>[] = [];
  const stream = new Writable({ objectMode: true, write(info, _enc, done) { entries.push(info); done(); } });
  return { logger: winston.createLogger({ level, transports: [new winston.transports.Stream({ stream })] }), entries };
}

test("onEvent receives run, wave, step and progress events, each with the runId", async () => {
  const strategy = strategyOf(["a", "Chatty", "a"], ["b", "Echo", "{{ a_out }}"]);
  const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Chatty", agent("chatty")).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const events: RunEvent[] = [];
  const result = await o.execute("t", { onEvent: (e) => events.push(e) });
  assert.deepEqual(events.map((e) => e.type), [
    "run:start", "wave:start", "step:start", "step:progress", "step:progress", "step:end", "wave:start", "step:start", "step:end", "run:end",
  ]);
  assert.ok(events.every((e) => e.runId === result.runId));
  const progress = events.filter((e) => e.type === "step:progress");
  assert.deepEqual(progress.map((e) => [e.stepId, e.progress, e.message]), [["a", 0.5, "half way"], ["a", 1, "done"]]);
  assert.ok(progress.every((e) => e.threadId === result.steps[0]!.threadId));
  const end = events.at(-1)!;
  assert.equal(end.type === "run:end" && end.result, result);
});

test("an onEvent handler that throws does not break the run", async () => {
  const o = new ParallelOrchestrator(strategyOf(["a", "Echo", "a"]), new ParallelOrchestratorConfig().withThreads(1).withLogger(memoryLogger("error").logger))
    .addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("t", { onEvent: () => { throw new Error("listener bug"); } });
  assert.equal(result.success, true);
});

test("winston gets one structured entry per event, and the agent's own logs, with the contract's fields", async () => {
  const { logger, entries } = memoryLogger("debug");
  const o = new ParallelOrchestrator(strategyOf(["a", "Chatty", "a"]), new ParallelOrchestratorConfig().withThreads(1).withLogger(logger))
    .addAgent("Chatty", agent("chatty"));
  after(() => o.close());
  const result = await o.execute("t");
  const end = entries.find((e) => e.message === "step:end")!;
  assert.deepEqual(
    { runId: end.runId, stepId: end.stepId, wave: end.wave, agent: end.agent, threadId: end.threadId, attempt: end.attempt },
    { runId: result.runId, stepId: "a", wave: 0, agent: "Chatty", threadId: result.steps[0]!.threadId, attempt: 1 },
  );
  assert.equal(typeof end.durationMs, "number");
  const fromAgent = entries.filter((e) => e.message === "starting" || e.message === "almost there");
  assert.deepEqual(fromAgent.map((e) => [e.level, e.stepId, e.agent, e.threadId, e.runId]), [
    ["info", "a", "Chatty", result.steps[0]!.threadId, result.runId],
    ["warn", "a", "Chatty", result.steps[0]!.threadId, result.runId],
  ]);
  assert.equal(fromAgent[0]!.intent, "a", "the agent's meta is kept");
  assert.ok(entries.some((e) => e.message === "run:start") && entries.some((e) => e.message === "run:end"));
});

test("the default level is warn: a successful run logs nothing at info", async () => {
  const { logger, entries } = memoryLogger("warn");
  const o = new ParallelOrchestrator(strategyOf(["a", "Echo", "a"]), new ParallelOrchestratorConfig().withThreads(1).withLogger(logger))
    .addAgent("Echo", agent("echo"));
  after(() => o.close());
  await o.execute("t");
  assert.deepEqual(entries, []);
});

test("an agent's approval request reaches onApproval on the main thread and the answer goes back", async () => {
  const o = new ParallelOrchestrator(strategyOf(["a", "Approve", "draft 1"]), { threads: 1 }).addAgent("Approve", agent("approve"));
  after(() => o.close());
  const requests: unknown[] = [];
  const result = await o.execute("t", {
    onApproval: async (request) => {
      requests.push(request);
      return { approved: true, note: "ship it" };
    },
  });
  assert.deepEqual(result.context.get("a_out"), { approved: true, note: "ship it" });
  assert.deepEqual(requests, [{ runId: result.runId, stepId: "a", agent: "Approve", message: "Publish draft 1?", payload: { draft: "draft 1" } }]);
});

test("withTracer(tracer) traces every run of the orchestrator: run, wave and step spans", async () => {
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  after(() => provider.shutdown());
  const config = new ParallelOrchestratorConfig().withThreads(1).withTracer(provider.getTracer("test"));
  const o = new ParallelOrchestrator(strategyOf(["a", "Echo", "a"], ["b", "Echo", "{{ a_out }}"]), config).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("t");
  const spans = exporter.getFinishedSpans();
  assert.deepEqual(spans.map((s) => s.name).sort(), ["wavepool.run", "wavepool.step", "wavepool.step", "wavepool.wave", "wavepool.wave"]);
  const run = spans.find((s) => s.name === "wavepool.run")!;
  assert.equal(run.attributes["wavepool.run_id"], result.runId);
  assert.ok(spans.filter((s) => s.name !== "wavepool.run").every((s) => s.spanContext().traceId === run.spanContext().traceId));
  // @ts-expect-error: not a tracer
  assert.throws(() => config.withTracer({}), TypeError);
});
