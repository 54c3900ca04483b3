// Turns a run's events into OpenTelemetry spans (`withTracer`): wavepool.run > wavepool.wave >
// wavepool.step, one step span per attempt; the items of a fan-out go under a wavepool.foreach span
// of their step. It is an event listener like `onEvent`, so a run without a tracer pays nothing for it.
//
// Attribute names follow OpenTelemetry's snake_case convention under a `wavepool.` namespace; each
// is the contract's field name in snake_case: runId -> wavepool.run_id, stepId -> wavepool.step_id,
// agent -> wavepool.agent, wave -> wavepool.wave, threadId -> wavepool.thread_id,
// attempt -> wavepool.attempt, parent -> wavepool.parent, item -> wavepool.item,
// iteration -> wavepool.iteration (plus wavepool.status on steps and runs).
import type { OpenTelemetryTracer } from "./config.js";
import { context, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from "@opentelemetry/api";
import type { RunEvent, StepEndEvent } from "./events.js";
import type { ParallelOrchestrationResult, StepStatus } from "./result.js";
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
  /** An item of a `forEach` step: the step's id, and the item's index in its list. */
  parent: "wavepool.parent",
  item: "wavepool.item",
  /** A `forEach` step's span: how many items its list had. */
  items: "wavepool.items",
  /** An attempt of a `repeat` step: its iteration (1, 2, ...). */
  iteration: "wavepool.iteration",
} as const;

const A = SPAN_ATTRIBUTES;

interface OpenSpan { span: Span; ctx: Context }
interface RunSpans {
  run: OpenSpan;
  waves: Map<number, OpenSpan>;
  /** When the last attempt of each wave ended so far: where its span ends. */
  waveEnds: Map<number, number>;
  /** Open attempt spans by `stepId#attempt`. */
  steps: Map<string, OpenSpan>;
  /**
   * The span each fan-out's items go under, by the fan-out's step id, and when its last item ended
   * so far: a wavepool.foreach span of our own (`own`), or the step's span if the run gave it one.
   */
  fanOuts: Map<string, FanOutSpan>;
}

/**
 * A fan-out's span: ended at run:end, when the result gives its number of items, at the time and with
 * the status of its own step:end if the run reported one (`ended`), else where its last item ended.
 */
interface FanOutSpan { open: OpenSpan; own: boolean; lastEnd: number; ended?: { time: number; status: StepStatus } }

type Open = (name: string, time: number, attributes: Attributes, parent: Context) => OpenSpan;

/** Step statuses that mark a span as an error. */
const ERROR_STATUSES = new Set(["failed", "timed_out", "cancelled"]);

/**
 * A run-event listener that records spans on `tracer`: `wavepool.run` for the run, a child
 * `wavepool.wave` per dependency level, and a `wavepool.step` per attempt under its wave, each
 * started and ended at its events' times. The items of a `forEach` step are step spans
 * (`research[3]`, with `wavepool.parent` and `wavepool.item`) under a `wavepool.foreach` span of the
 * step that runs from its first item's start to its last item's end; the iterations of a `repeat`
 * step are its attempts, with `wavepool.iteration`. Failed, timed-out and cancelled attempts (and a
 * run that failed or was cancelled) get `SpanStatusCode.ERROR` with the error's message; a
 * terminated run does not, and carries `wavepool.termination_reason`. One listener can follow
 * several runs at once: spans are kept apart by `runId`.
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
      // The same run starting again: it went on with a strategy onStepFailed gave (a redesign).
      const before = runs.get(event.runId);
      if (before !== undefined) endHandedOver(before, event.time);
      const run = open("wavepool.run", event.time, { [A.runId]: event.runId, "wavepool.steps": event.steps, "wavepool.waves": event.waves.length }, context.active());
      runs.set(event.runId, { run, waves: new Map(), waveEnds: new Map(), steps: new Map(), fanOuts: new Map() });
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
        spans.steps.get(attemptKey(event))?.span.end(event.time);
        spans.steps.set(attemptKey(event), startStep(spans, event, open));
        return;
      case "step:progress":
        spans.steps.get(attemptKey(event))?.span.addEvent("wavepool.progress", {
          "wavepool.progress": event.progress, ...(event.message !== undefined ? { "wavepool.message": event.message } : {}),
        }, event.time);
        return;
      case "step:end": {
        spans.waveEnds.set(event.wave, Math.max(event.time, spans.waveEnds.get(event.wave) ?? 0));
        const fanOut = event.item === undefined ? spans.fanOuts.get(event.stepId) : undefined;
        if (fanOut?.own === true) {
          // The fan-out's own end, if the run reports one: not a step that ran, but where its span ends.
          fanOut.ended = { time: event.time, status: event.status };
          return;
        }
        if (event.parent !== undefined) {
          const items = spans.fanOuts.get(event.parent);
          if (items !== undefined) items.lastEnd = Math.max(items.lastEnd, event.time);
        }
        // An attempt that failed before it could start (a template that does not render) has no span yet.
        const { span } = spans.steps.get(attemptKey(event)) ?? startStep(spans, event, open);
        spans.steps.delete(attemptKey(event));
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

type StepEventFields = {
  runId: string; time: number; stepId: string; agent: string; wave: number; attempt: number; parent?: string; item?: number; iteration?: number;
};

function startStep(spans: RunSpans, event: StepEventFields, open: Open): OpenSpan {
  const parent = event.parent === undefined ? waveContext(spans, event.wave) : fanOutOf(spans, event, event.parent, open).open.ctx;
  const attributes: Attributes = {
    [A.runId]: event.runId, [A.stepId]: event.stepId, [A.agent]: event.agent, [A.wave]: event.wave, [A.attempt]: event.attempt,
  };
  if (event.parent !== undefined) attributes[A.parent] = event.parent;
  if (event.item !== undefined) attributes[A.item] = event.item;
  if (event.iteration !== undefined) attributes[A.iteration] = event.iteration;
  return open("wavepool.step", event.time, attributes, parent);
}

function waveContext(spans: RunSpans, wave: number): Context {
  return spans.waves.get(wave)?.ctx ?? spans.run.ctx;
}

/**
 * The span an item's attempts go under: the fan-out step's own span if the run opened one for it,
 * else a wavepool.foreach span opened at its first item's start.
 */
function fanOutOf(spans: RunSpans, event: StepEventFields, stepId: string, open: Open): FanOutSpan {
  let fanOut = spans.fanOuts.get(stepId);
  if (fanOut === undefined) {
    const prefix = `${stepId}#`;
    const step = [...spans.steps].find(([key]) => key.startsWith(prefix) && !key.slice(prefix.length).includes("#"))?.[1];
    fanOut = step !== undefined ? { open: step, own: false, lastEnd: event.time } : {
      open: open("wavepool.foreach", event.time, { [A.runId]: event.runId, [A.stepId]: stepId, [A.agent]: event.agent, [A.wave]: event.wave }, waveContext(spans, event.wave)),
      own: true,
      lastEnd: event.time,
    };
    spans.fanOuts.set(stepId, fanOut);
  }
  return fanOut;
}

function endFanOut(span: Span, stepId: string, status: StepStatus, time: number, items?: number): void {
  span.setAttribute(A.status, status);
  if (items !== undefined) span.setAttribute(A.items, items);
  if (ERROR_STATUSES.has(status)) span.setStatus({ code: SpanStatusCode.ERROR, message: `step ${stepId} ${STATUS_WORDS[status]}` });
  span.end(time);
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

/** Ends what is still open: a fan-out where it ended, a wave where its last attempt ended, the run at run:end. */
/** A run that handed over to a redesign: its spans end where the run of the new strategy starts. */
function endHandedOver(spans: RunSpans, time: number): void {
  for (const { span } of spans.steps.values()) span.end(time);
  for (const { open, own } of spans.fanOuts.values()) if (own) open.span.end(time);
  for (const [wave, { span }] of spans.waves) span.end(spans.waveEnds.get(wave) ?? time);
  spans.run.span.setAttribute("wavepool.redesigned", true);
  spans.run.span.end(time);
}

function endRun(spans: RunSpans, result: ParallelOrchestrationResult, time: number): void {
  for (const { span } of spans.steps.values()) span.end(time);
  if (spans.fanOuts.size > 0) {
    const records = new Map(result.steps.filter((r) => spans.fanOuts.has(r.stepId)).map((r) => [r.stepId, r]));
    for (const [stepId, { open, own, lastEnd, ended }] of spans.fanOuts) {
      const record = records.get(stepId);
      const end = ended?.time ?? Math.min(time, Math.max(lastEnd, record?.endedAt ?? 0));
      if (own) endFanOut(open.span, stepId, ended?.status ?? record?.status ?? "completed", end, record?.items);
    }
  }
  for (const [wave, { span }] of spans.waves) span.end(spans.waveEnds.get(wave) ?? time);
  const { span } = spans.run;
  const status = runOutcome(result);
  span.setAttributes({ [A.status]: status, "wavepool.steps_executed": result.stepsExecuted, "wavepool.steps_skipped": result.stepsSkipped });
  if (result.terminated) span.setAttribute("wavepool.terminated", true);
  if (result.terminationReason !== undefined) span.setAttribute("wavepool.termination_reason", result.terminationReason);
  if (status === "failed" || status === "cancelled") {
    span.setStatus({ code: SpanStatusCode.ERROR, message: result.error?.message ?? `the run was ${status}` });
  }
  span.end(time);
}
