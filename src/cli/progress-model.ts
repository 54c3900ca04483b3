// What the live display knows about each step, folded from the run's events. Steps that never get
// an event of their own (skipped, cancelled before they started, restored from a state) take their
// final status from the result at run:end.
//
// A fan-out (`forEach`) is one step here, as in the strategy: its items' events move the counts of
// its `fanOut`, never rows of their own, and the step counts once in the totals and the bar. A
// `repeat` step is one step whose attempts carry their iteration.
import type { ErrorInfo } from "../errors.js";
import type { RunEvent } from "../run/events.js";
import type { SkipReason, StepRecord, StepStatus } from "../run/result.js";
import type { StrategyMap } from "../strategy/strategy-map.js";
import { stepLabel } from "../strategy/dynamic-plan.js";
import { toPlain } from "../report/result-json.js";
import { FanOutProgress } from "./progress-fan-out.js";
import { safeText } from "./safe-text.js";

export type StepPhase = Exclude<StepStatus, "pending"> | "queued";

export interface StepView {
  stepId: string;
  /** How the step is shown: its id, or `research[*]` for a fan-out. */
  label: string;
  agent: string;
  wave: number;
  phase: StepPhase;
  attempt: number;
  /** When the current attempt started (event time). */
  startedAt?: number;
  /** How long the step ran, once it ended. */
  durationMs?: number;
  /** The agent's last `ctx.progress` value (0..1) and message in the current attempt. */
  progress?: number;
  message?: string;
  /** "Name: message" of the error that ended the step. */
  error?: string;
  /** Why a skipped step was skipped, once the result says. */
  skipReason?: SkipReason;
  /** A `forEach` step: its items, counted by phase. */
  fanOut?: FanOutProgress;
  /** A `repeat` step: the iteration running or last run, and whether it ran out of iterations. */
  iteration?: number;
  repeatExhausted?: boolean;
}

/** The error as a person wants it, on one line: what the agent threw when it threw, else wavepool's error. */
export function errorText(error: ErrorInfo): string {
  return safeText(error.agentError ? `${error.agentError.name}: ${error.agentError.message}` : `${error.name}: ${error.message}`);
}

/** A streamed chunk (`ctx.emit`) on one line: text as it is, anything else as JSON, the end kept. */
export function chunkText(chunk: unknown): string {
  const text = typeof chunk === "string" ? chunk : (JSON.stringify(toPlain(chunk)) ?? String(chunk));
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 120 ? `…${line.slice(-119)}` : line;
}

/** A phase that will not change any more (retries aside). */
export const FINAL_PHASES: ReadonlySet<StepPhase> = new Set(["completed", "failed", "timed_out", "skipped", "cancelled", "paused"]);

const phaseOf = (status: StepStatus): StepPhase => (status === "pending" ? "queued" : status);

export class ProgressModel {
  readonly goal: string;
  readonly steps: StepView[];
  readonly waves: number;
  readonly #byId = new Map<string, StepView>();
  /** The fan-outs each step waits for: one of them has completed once the step starts. */
  readonly #fanOutsBefore = new Map<string, StepView[]>();
  startedAt: number | undefined;
  endedAt: number | undefined;
  runId: string | undefined;

  constructor(strategy: StrategyMap) {
    const graph = strategy.graph();
    this.goal = strategy.goal;
    this.waves = graph.waves.length;
    this.steps = graph.steps.map((step, i) => {
      const view: StepView = { stepId: step.stepId, label: stepLabel(step), agent: step.assignedAgent, wave: graph.level[i]!, phase: "queued", attempt: 0 };
      if (step.forEach !== undefined) view.fanOut = new FanOutProgress();
      return view;
    });
    for (const view of this.steps) this.#byId.set(view.stepId, view);
    graph.steps.forEach((step, i) => {
      const fanOuts = graph.deps[i]!.map((d) => this.steps[d]!).filter((v) => v.fanOut !== undefined);
      if (fanOuts.length > 0) this.#fanOutsBefore.set(step.stepId, fanOuts);
    });
  }

  /** Marks what a resumed run takes from its state as done before any event arrives. */
  restore(records: readonly StepRecord[]): void {
    for (const record of records) {
      if (record.parent !== undefined) {
        if (record.status === "completed" && record.item !== undefined) this.#byId.get(record.parent)?.fanOut?.set(record.item, "completed");
        continue;
      }
      const view = this.#byId.get(record.stepId);
      if (view?.fanOut !== undefined && record.items !== undefined) view.fanOut.total = record.items;
      if (view !== undefined && record.status === "completed") Object.assign(view, { phase: "completed", durationMs: record.durationMs });
    }
  }

  apply(event: RunEvent): void {
    switch (event.type) {
      case "run:start":
        this.startedAt = event.time;
        this.runId = event.runId;
        return;
      case "wave:start":
        return;
      case "step:start": {
        if (event.parent !== undefined) {
          const view = this.#byId.get(event.parent);
          const fanOut = view?.fanOut;
          if (view === undefined || fanOut === undefined || event.item === undefined) return;
          fanOut.set(event.item, "running");
          fanOut.startedAt ??= event.time;
          if (!FINAL_PHASES.has(view.phase)) Object.assign(view, { phase: "running", startedAt: fanOut.startedAt });
          return;
        }
        const view = this.#byId.get(event.stepId);
        if (view === undefined) return;
        // A step that waits for a fan-out starts only once the fan-out has completed.
        for (const fanOut of this.#fanOutsBefore.get(event.stepId) ?? []) this.#settleFanOut(fanOut, "completed", event.time);
        if (view.fanOut !== undefined) {
          // The fan-out's own start, if the run reports one: its items are on their way.
          view.fanOut.startedAt ??= event.time;
          if (!FINAL_PHASES.has(view.phase)) Object.assign(view, { phase: "running", startedAt: view.fanOut.startedAt });
          return;
        }
        Object.assign(view, { phase: "running", attempt: event.attempt, startedAt: event.time });
        if (event.iteration !== undefined) view.iteration = event.iteration;
        delete view.progress;
        delete view.message;
        delete view.error;
        return;
      }
      case "step:progress":
      case "step:output": {
        // The latest chunk a running step streamed is shown where its progress message goes.
        const text = event.type === "step:output" ? chunkText(event.chunk) : event.message;
        if (event.parent !== undefined) {
          const fanOut = this.#byId.get(event.parent)?.fanOut;
          if (fanOut !== undefined && text !== undefined) fanOut.message = `[${event.item ?? "?"}] ${text}`;
          return;
        }
        const view = this.#byId.get(event.stepId);
        if (view === undefined || view.attempt !== event.attempt) return;
        if (event.type === "step:progress") view.progress = Math.min(1, Math.max(0, event.progress));
        if (text !== undefined) view.message = text;
        return;
      }
      case "step:end": {
        if (event.parent !== undefined) {
          const fanOut = this.#byId.get(event.parent)?.fanOut;
          if (fanOut === undefined || event.item === undefined) return;
          fanOut.set(event.item, phaseOf(event.status));
          fanOut.endedAt = Math.max(fanOut.endedAt ?? event.time, event.time);
          if (event.error !== undefined) fanOut.error = `[${event.item}] ${errorText(event.error)}`;
          return;
        }
        const view = this.#byId.get(event.stepId);
        if (view === undefined) return;
        if (view.fanOut !== undefined) {
          this.#settleFanOut(view, phaseOf(event.status), event.time);
          if (event.error !== undefined) view.error = errorText(event.error);
          return;
        }
        Object.assign(view, { phase: phaseOf(event.status), durationMs: event.durationMs });
        if (event.error !== undefined) view.error = errorText(event.error);
        return;
      }
      case "run:end":
        this.endedAt = event.time;
        for (const record of event.result.steps) this.#settle(record);
        return;
    }
  }

  /** How many steps are in each phase (a fan-out is one step). */
  counts(): Record<StepPhase, number> {
    const counts: Record<StepPhase, number> = {
      queued: 0, running: 0, completed: 0, failed: 0, timed_out: 0, skipped: 0, cancelled: 0, paused: 0,
    };
    for (const view of this.steps) counts[view.phase]++;
    return counts;
  }

  /** A fan-out is over: what a fan-out's own end event, a dependent's start or the result says. */
  #settleFanOut(view: StepView, phase: StepPhase, time: number): void {
    if (FINAL_PHASES.has(view.phase)) return;
    view.phase = phase;
    const { startedAt, endedAt } = view.fanOut!;
    if (startedAt !== undefined) view.durationMs = Math.min(time, endedAt ?? time) - startedAt;
  }

  /** What the result says of a record at run:end. */
  #settle(record: StepRecord): void {
    if (record.parent !== undefined) {
      if (record.item !== undefined) this.#byId.get(record.parent)?.fanOut?.set(record.item, phaseOf(record.status));
      return;
    }
    const view = this.#byId.get(record.stepId);
    if (view === undefined) return;
    view.phase = phaseOf(record.status);
    if (record.error !== undefined && view.error === undefined) view.error = errorText(record.error);
    if (record.skipReason !== undefined) view.skipReason = record.skipReason;
    if (view.fanOut !== undefined) {
      if (record.items !== undefined) view.fanOut.total = record.items;
      if (record.startedAt !== undefined && record.endedAt !== undefined) view.durationMs = record.endedAt - record.startedAt;
    }
    if (record.iterations !== undefined) view.iteration = record.iterations;
    if (record.repeatExhausted === true) view.repeatExhausted = true;
  }
}
