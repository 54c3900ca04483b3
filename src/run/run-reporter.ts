// Where a run's events go: the `onEvent` listeners (and the tracer's) and one structured winston
// entry per event, with runId, stepId, wave, agent, threadId, attempt and durationMs.
import type winston from "winston";
import { errorInfo, type ErrorInfo } from "../errors.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { LogLevel, StrayError } from "../pool/protocol.js";
import { preciseNow } from "../pool/precise-time.js";
import type { DynamicStepFields, RunEvent } from "./events.js";
import type { StepStatus } from "./result.js";
import type { Units } from "./units.js";

export type RunListener = (event: RunEvent) => void;

export class RunReporter {
  readonly #runId: string;
  readonly #logger: winston.Logger;
  readonly #graph: DependencyGraph;
  readonly #listeners: RunListener[];
  // Checked once per run: building entries nobody logs would be work on the hot path.
  readonly #info: boolean;
  readonly #debug: boolean;
  /** Nobody listens and nothing is logged at info: step events need not even be built. */
  readonly #quiet: boolean;
  readonly #waveStarted: boolean[];
  /** The run's units, once it has items (its steps alone are indexed by the graph). */
  #units: Units | undefined;

  /**
   * Holds each event and log line until `deliver` may run: with a state journal, until every step that
   * settled before it is in the file. Everything goes through it, so the order is kept.
   */
  readonly #defer: ((deliver: () => void) => void) | undefined;

  constructor(runId: string, logger: winston.Logger, graph: DependencyGraph, listeners: RunListener[], defer?: (deliver: () => void) => void) {
    this.#runId = runId;
    this.#defer = defer;
    this.#logger = logger;
    this.#graph = graph;
    this.#listeners = listeners;
    this.#info = logger.isLevelEnabled("info");
    this.#debug = logger.isLevelEnabled("debug");
    this.#quiet = listeners.length === 0 && !this.#info;
    this.#waveStarted = graph.waves.map(() => false);
  }

  /** Events of units past the steps (items of fan-outs) are named through `units`. */
  withUnits(units: Units): void {
    this.#units = units;
  }

  /** Emits `wave:start` the first time a step of `level` starts. */
  waveStart(level: number): void {
    if (this.#waveStarted[level]) return;
    this.#waveStarted[level] = true;
    this.emit({ type: "wave:start", runId: this.#runId, time: preciseNow(), wave: level, stepIds: this.#graph.waves[level]! });
  }

  /**
   * An error step `i` left behind after it ended (a timer that threw, a rejection nobody handled): a
   * warning of its own, never a failure of whichever step runs next on that thread.
   */
  stray(i: number, attempt: number, report: StrayError): string {
    const message = strayMessage(report, this.#where(i).stepId);
    const meta = { runId: this.#runId, ...this.#where(i), attempt, error: report.error };
    this.#out(() => this.#logger.warn(message, meta));
    return message;
  }

  /**
   * Sends an event to every listener, in order, once the state journal (if any) holds everything that
   * settled before it; a listener that throws is logged and the run goes on.
   */
  emit(event: RunEvent): void {
    this.#out(() => this.#deliver(event));
  }

  #deliver(event: RunEvent): void {
    if (this.#info) this.#logEvent(event);
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.warn(`an event listener threw on ${event.type}; the run goes on`, { runId: this.#runId, error: errorInfo(error) });
      }
    }
  }

  /** `dynamic`: the iteration of a repeat step. */
  stepStart(i: number, attempt: number, dynamic?: DynamicStepFields): void {
    if (this.#quiet) return;
    this.emit({ type: "step:start", runId: this.#runId, time: preciseNow(), ...this.#where(i), attempt, ...dynamic });
  }

  stepEnd(i: number, attempt: number, status: StepStatus, threadId: number, durationMs: number, error?: ErrorInfo, dynamic?: DynamicStepFields): void {
    if (this.#quiet && status === "completed") return;
    this.emit({
      type: "step:end", runId: this.#runId, time: preciseNow(), ...this.#where(i), attempt, status, threadId, durationMs,
      ...(error ? { error } : {}), ...dynamic,
    });
  }

  progress(i: number, attempt: number, threadId: number, value: number, message?: string): void {
    if (this.#quiet) return;
    this.emit({
      type: "step:progress", runId: this.#runId, time: preciseNow(), ...this.#where(i), attempt, threadId,
      progress: Number(value), ...(message !== undefined ? { message } : {}),
    });
  }

  output(i: number, attempt: number, threadId: number, chunk: unknown): void {
    if (this.#quiet) return;
    this.emit({ type: "step:output", runId: this.#runId, time: preciseNow(), ...this.#where(i), attempt, threadId, chunk });
  }

  /** A log line an agent sent through `ctx.log`, tagged with where it came from. */
  agentLog(i: number, attempt: number, threadId: number, level: LogLevel, message: string, meta?: Record<string, unknown>): void {
    const entry = { ...meta, level, message, runId: this.#runId, ...this.#where(i), threadId, attempt };
    this.#out(() => this.#logger.log(entry));
  }

  /** A line of the runtime's own, about the run or about step `i`. */
  log(level: LogLevel, message: string, i?: number): void {
    if ((level === "info" && !this.#info) || (level === "debug" && !this.#debug)) return;
    const entry = { level, message, runId: this.#runId, ...(i === undefined ? {} : this.#where(i)) };
    this.#out(() => this.#logger.log(entry));
  }

  #out(deliver: () => void): void {
    if (this.#defer === undefined) deliver();
    else this.#defer(deliver);
  }

  /** Unit `i`: a step, or an item of a fan-out (../run/units.ts), which says its parent and index. */
  #where(i: number): { stepId: string; agent: string; wave: number; parent?: string; item?: number } {
    const units = this.#units;
    if (units === undefined || !units.isItem(i)) {
      const step = this.#graph.steps[i]!;
      return { stepId: step.stepId, agent: step.assignedAgent, wave: this.#graph.level[i]! };
    }
    const s = units.stepOf[i]!;
    const step = this.#graph.steps[s]!;
    return { stepId: units.idOf(i), agent: step.assignedAgent, wave: this.#graph.level[s]!, parent: step.stepId, item: units.itemOf(i) };
  }

  #logEvent(event: RunEvent): void {
    if (event.type === "run:end") {
      const r = event.result;
      this.#logger.info("run:end", { runId: r.runId, success: r.success, cancelled: r.cancelled, paused: r.paused, durationMs: r.durationMs, stepsExecuted: r.stepsExecuted });
      return;
    }
    const { type: _type, time: _time, ...fields } = event as RunEvent & Record<string, unknown>;
    const failed = event.type === "step:end" && event.status !== "completed";
    const level = failed ? "warn" : event.type === "step:progress" || event.type === "wave:start" ? "debug" : "info";
    if (level === "debug" && !this.#debug) return;
    this.#logger.log({ level, message: event.type, ...fields });
  }
}

/** Says what an agent left behind and what happened to its thread. */
export function strayMessage(report: StrayError, stepId?: string): string {
  const what = report.kind === "uncaughtException" ? "an exception thrown from a timer or callback" : "a promise rejection nobody handled";
  const whose = stepId !== undefined ? `step ${stepId} (agent ${report.agent}) left ${what} after it ended` : `agent ${report.agent || "(unknown)"}'s module left ${what}`;
  const thread = report.recycled ? "; its thread is replaced before it runs another step" : "";
  return `${whose}: ${report.error.name}: ${report.error.message}${thread}. Await or cancel the work an agent starts before it returns`;
}
