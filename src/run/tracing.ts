// Turns a run's events into OpenTelemetry spans (`withTracer`): wavepool.run > wavepool.wave >
// wavepool.step, one step span per attempt. It is an event listener like `onEvent`, so a run
// without a tracer pays nothing for it.
//
// Attribute names follow OpenTelemetry's snake_case convention under a `wavepool.` namespace; each
// is the contract's field name in snake_case: runId -> wavepool.run_id, stepId -> wavepool.step_id,
// agent -> wavepool.agent, wave -> wavepool.wave, threadId -> wavepool.thread_id,
// attempt -> wavepool.attempt (plus wavepool.status on steps and runs).
import type { OpenTelemetryTracer } from "./config.js";
import { context, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from "@opentelemetry/api";
import type { RunEvent, StepEndEvent } from "./events.js";
import type { ParallelOrchestrationResult } from "./result.js";
import { runOutcome, STATUS_WORDS } from "../report/outcome.js";

/** Span attribute names, one per field of the contract. */
export const SPAN_ATTRIBUTES = {
  runId: "wavepool.run_id",
  stepId: "wavepool.step_id",
  agent: "wavepool.agent",
  wave: "wavepool.wave",
  threadId: "wavepool.thread_id",
  attempt: "wavepool.attempt",
  status: "wavepool.status",
} as const;

const A = SPAN_ATTRIBUTES;

interface OpenSpan { span: Span; ctx: Context }
interface RunSpans {
  run: OpenSpan;
  waves: Map<number, OpenSpan>;
  /** When the last attempt of each wave ended so far: where its span ends. */
  waveEnds: Map<number, number>;
  steps: Map<string, Span>;
}

/** Step statuses that mark a span as an error. */
const ERROR_STATUSES = new Set(["failed", "timed_out", "cancelled"]);

/**
 * A run-event listener that records spans on `tracer`: `wavepool.run` for the run, a child
 * `wavepool.wave` per dependency level, and a `wavepool.step` per attempt under its wave, each
 * started and ended at its events' times. Failed, timed-out and cancelled attempts (and a run
 * that did not succeed) get `SpanStatusCode.ERROR` with the error's message. One listener can
 * follow several runs at once: spans are kept apart by `runId`.
 * @example
 * const onEvent = tracingListener(trace.getTracer("my-service"));
 * await orchestrator.execute(task, { onEvent });
 */
export function tracingListener(otelTracer: OpenTelemetryTracer): (event: RunEvent) => void {
  const tracer = otelTracer as Tracer;
  const runs = new Map<string, RunSpans>();
  const open = (name: string, time: number, attributes: Attributes, parent: Context): OpenSpan => {
    const span = tracer.startSpan(name, { startTime: time, attributes }, parent);
    return { span, ctx: trace.setSpan(parent, span) };
  };

  return (event) => {
    if (event.type === "run:start") {
      const run = open("wavepool.run", event.time, { [A.runId]: event.runId, "wavepool.steps": event.steps, "wavepool.waves": event.waves.length }, context.active());
      runs.set(event.runId, { run, waves: new Map(), waveEnds: new Map(), steps: new Map() });
      return;
    }
    const spans = runs.get(event.runId);
    if (spans === undefined) return;
    switch (event.type) {
      case "wave:start":
        if (!spans.waves.has(event.wave)) {
          spans.waves.set(event.wave, open("wavepool.wave", event.time, { [A.runId]: event.runId, [A.wave]: event.wave, "wavepool.step_ids": event.stepIds }, spans.run.ctx));
        }
        return;
      case "step:start":
        spans.steps.get(attemptKey(event))?.end(event.time);
        spans.steps.set(attemptKey(event), startStep(spans, event, open));
        return;
      case "step:progress":
        spans.steps.get(attemptKey(event))?.addEvent("wavepool.progress", {
          "wavepool.progress": event.progress, ...(event.message !== undefined ? { "wavepool.message": event.message } : {}),
        }, event.time);
        return;
      case "step:end": {
        // An attempt that failed before it could start (a template that does not render) has no span yet.
        const span = spans.steps.get(attemptKey(event)) ?? startStep(spans, event, open);
        spans.steps.delete(attemptKey(event));
        spans.waveEnds.set(event.wave, Math.max(event.time, spans.waveEnds.get(event.wave) ?? 0));
        endStep(span, event);
        return;
      }
      case "run:end":
        runs.delete(event.runId);
        endRun(spans, event.result, event.time);
        return;
    }
  };
}

function attemptKey(event: { stepId: string; attempt: number }): string {
  return `${event.stepId}#${event.attempt}`;
}

function startStep(
  spans: RunSpans,
  event: { runId: string; time: number; stepId: string; agent: string; wave: number; attempt: number },
  open: (name: string, time: number, attributes: Attributes, parent: Context) => OpenSpan,
): Span {
  const parent = spans.waves.get(event.wave)?.ctx ?? spans.run.ctx;
  return open("wavepool.step", event.time, {
    [A.runId]: event.runId, [A.stepId]: event.stepId, [A.agent]: event.agent, [A.wave]: event.wave, [A.attempt]: event.attempt,
  }, parent).span;
}

function endStep(span: Span, event: StepEndEvent): void {
  span.setAttribute(A.status, event.status);
  if (event.threadId >= 0) span.setAttribute(A.threadId, event.threadId);
  if (ERROR_STATUSES.has(event.status)) {
    const error = event.error;
    if (error !== undefined) {
      span.recordException({ name: error.name, message: error.message, code: error.code, ...(error.stack ? { stack: error.stack } : {}) }, event.time);
    }
    span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message ?? `step ${event.stepId} ${STATUS_WORDS[event.status]}` });
  }
  span.end(event.time);
}

/** Ends what is still open: a wave where its last attempt ended, the run at run:end. */
function endRun(spans: RunSpans, result: ParallelOrchestrationResult, time: number): void {
  for (const span of spans.steps.values()) span.end(time);
  for (const [wave, { span }] of spans.waves) span.end(spans.waveEnds.get(wave) ?? time);
  const { span } = spans.run;
  const status = runOutcome(result);
  span.setAttributes({ [A.status]: status, "wavepool.steps_executed": result.stepsExecuted });
  if (status === "failed" || status === "cancelled") {
    span.setStatus({ code: SpanStatusCode.ERROR, message: result.error?.message ?? `the run was ${status}` });
  }
  span.end(time);
}
