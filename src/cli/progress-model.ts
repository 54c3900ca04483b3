// What the live display knows about each step, folded from the run's events. Steps that never get
// an event of their own (skipped, cancelled before they started, restored from a state) take their
// final status from the result at run:end.
import type { ErrorInfo } from "../errors.js";
import type { RunEvent } from "../run/events.js";
import type { StepRecord, StepStatus } from "../run/result.js";
import type { StrategyMap } from "../strategy/strategy-map.js";
import { toPlain } from "../report/result-json.js";
import { safeText } from "./safe-text.js";

export type StepPhase = Exclude<StepStatus, "pending"> | "queued";

export interface StepView {
  stepId: string;
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

export class ProgressModel {
  readonly goal: string;
  readonly steps: StepView[];
  readonly waves: number;
  readonly #byId = new Map<string, StepView>();
  startedAt: number | undefined;
  endedAt: number | undefined;
  runId: string | undefined;

  constructor(strategy: StrategyMap) {
    const graph = strategy.graph();
    this.goal = strategy.goal;
    this.waves = graph.waves.length;
    this.steps = graph.steps.map((step, i) => ({ stepId: step.stepId, agent: step.assignedAgent, wave: graph.level[i]!, phase: "queued", attempt: 0 }));
    for (const view of this.steps) this.#byId.set(view.stepId, view);
  }

  /** Marks what a resumed run takes from its state as done before any event arrives. */
  restore(records: readonly StepRecord[]): void {
    for (const record of records) {
      const view = this.#byId.get(record.stepId);
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
        const view = this.#byId.get(event.stepId);
        if (view === undefined) return;
        Object.assign(view, { phase: "running", attempt: event.attempt, startedAt: event.time });
        delete view.progress;
        delete view.message;
        delete view.error;
        return;
      }
      case "step:progress": {
        const view = this.#byId.get(event.stepId);
        if (view === undefined || view.attempt !== event.attempt) return;
        view.progress = Math.min(1, Math.max(0, event.progress));
        if (event.message !== undefined) view.message = event.message;
        return;
      }
      case "step:output": {
        // The latest chunk a running step streamed, shown where its progress message goes.
        const view = this.#byId.get(event.stepId);
        if (view === undefined || view.attempt !== event.attempt) return;
        view.message = chunkText(event.chunk);
        return;
      }
      case "step:end": {
        const view = this.#byId.get(event.stepId);
        if (view === undefined) return;
        Object.assign(view, { phase: event.status === "pending" ? "queued" : event.status, durationMs: event.durationMs });
        if (event.error !== undefined) view.error = errorText(event.error);
        return;
      }
      case "run:end":
        this.endedAt = event.time;
        for (const record of event.result.steps) {
          const view = this.#byId.get(record.stepId);
          if (view === undefined) continue;
          view.phase = record.status === "pending" ? "queued" : record.status;
          if (record.error !== undefined && view.error === undefined) view.error = errorText(record.error);
        }
        return;
    }
  }

  /** How many steps are in each phase. */
  counts(): Record<StepPhase, number> {
    const counts: Record<StepPhase, number> = {
      queued: 0, running: 0, completed: 0, failed: 0, timed_out: 0, skipped: 0, cancelled: 0, paused: 0,
    };
    for (const view of this.steps) counts[view.phase]++;
    return counts;
  }
}
