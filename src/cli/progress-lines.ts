// Progress without a terminal (a pipe, a CI log): one plain line per event, times from the run's
// start, e.g. `[  0.12s] step:start step_1 (ResearchAgent) wave 0 attempt 1`. Progress reports are
// thinned so that a log stays readable (see LineProgress), and a fan-out's items are told in
// tallies, not a line each (see ItemLines).
import { formatDuration } from "../report/duration.js";
import { runOutcome, STATUS_WORDS, statusTally } from "../report/outcome.js";
import type { RunEvent, StepProgressEvent } from "../run/events.js";
import type { StrategyMap } from "../strategy/strategy-map.js";
import type { Palette } from "./ansi.js";
import { ItemLines } from "./item-lines.js";
import type { ProgressDisplay } from "./progress-live.js";
import { chunkText, errorText } from "./progress-model.js";
import { safeText as t } from "./safe-text.js";

/** The text of one event's line, without the time stamp. */
export function describeEvent(event: RunEvent, c: Palette): string {
  switch (event.type) {
    case "run:start":
      return `run:start ${t(event.runId)} ${event.steps} step${event.steps === 1 ? "" : "s"} in ${event.waves.length} wave${event.waves.length === 1 ? "" : "s"}`;
    case "wave:start":
      return `wave:start ${event.wave} ${event.stepIds.map(t).join(" ")}`;
    case "step:start": {
      const iteration = event.iteration === undefined ? "" : ` iteration ${event.iteration}`;
      return `step:start ${t(event.stepId)} (${t(event.agent)}) wave ${event.wave} attempt ${event.attempt}${iteration}`;
    }
    case "step:progress":
      return `step:progress ${t(event.stepId)} (${t(event.agent)}) ${Math.round(event.progress * 100)}%${event.message === undefined ? "" : ` ${t(event.message)}`}`;
    case "step:output":
      return `step:output ${t(event.stepId)} (${t(event.agent)}) ${t(chunkText(event.chunk))}`;
    case "step:end": {
      const where = event.threadId >= 0 ? ` on thread ${event.threadId}` : "";
      const iteration = event.iteration === undefined ? "" : `, iteration ${event.iteration}`;
      const text = `step:end ${t(event.stepId)} (${t(event.agent)}) ${STATUS_WORDS[event.status]} in ${formatDuration(event.durationMs)}${where}${iteration}`;
      const error = event.error === undefined ? "" : `: ${errorText(event.error)}`;
      // A step stopped by a cancel or waiting for a person did nothing wrong: no error, no red.
      switch (event.status) {
        case "completed": return text;
        case "cancelled": return c.yellow(text);
        case "paused": return c.magenta(text);
        // A step skipped by its condition or a termination did what the strategy said.
        case "skipped": return c.dim(text);
        default: return c.red(`${text}${error}`);
      }
    }
    case "run:end": {
      const r = event.result;
      const outcome = runOutcome(r);
      const why = outcome === "terminated" && r.terminationReason !== undefined && r.terminationReason.trim() !== "" ? `: ${t(r.terminationReason)}` : "";
      return `run:end ${outcome} ${statusTally(r)} in ${formatDuration(r.durationMs)}${why}`;
    }
  }
}

/** Which quarter of the way a progress value is in: 0 below 25%, ... 4 at 100%. */
const quarter = (progress: number): number => Math.floor(Math.min(1, Math.max(0, progress)) * 4);

/**
 * A line per event, except progress: a step attempt's report is printed when it enters a quarter
 * it has not reached yet (0, 25, 50, 75, 100%), and the last report, when it was held back, just
 * before the step's end. At most six progress lines per attempt however chatty the agent, and the
 * count depends only on the values reported, not on timing.
 */
export class LineProgress implements ProgressDisplay {
  readonly #stream: NodeJS.WritableStream;
  readonly #colours: Palette;
  #origin: number | undefined;
  /** By step attempt: the quarter of the last progress line printed, and the latest report held back. */
  readonly #progress = new Map<string, { quarter: number; held?: StepProgressEvent }>();
  readonly #items: ItemLines;

  /** `strategy`, when given, tells when a fan-out is over: a step that waits for it starts. */
  constructor(stream: NodeJS.WritableStream, colours: Palette, strategy?: StrategyMap) {
    this.#stream = stream;
    this.#colours = colours;
    this.#items = new ItemLines(strategy);
  }

  onEvent(event: RunEvent): void {
    const items = this.#items.take(event);
    for (const line of items.before) this.#write(event.time, line);
    if (items.own) this.#event(event);
    for (const line of items.after) this.#write(event.time, line);
  }

  #event(event: RunEvent): void {
    // Streamed chunks are the product, not progress: a log would get one line per token. The
    // final outputs go to stdout.
    if (event.type === "step:output") return;
    if (event.type === "step:progress") {
      const key = `${event.attempt} ${event.stepId}`;
      const shown = this.#progress.get(key);
      if (shown !== undefined && quarter(event.progress) <= shown.quarter) {
        shown.held = event;
        return;
      }
      this.#progress.set(key, { quarter: quarter(event.progress) });
    } else if (event.type === "step:end") {
      const key = `${event.attempt} ${event.stepId}`;
      const held = this.#progress.get(key)?.held;
      this.#progress.delete(key);
      if (held !== undefined) this.#print(held);
    }
    this.#print(event);
  }

  #print(event: RunEvent): void {
    this.#write(event.time, describeEvent(event, this.#colours));
  }

  #write(time: number, text: string): void {
    this.#origin ??= time;
    const at = formatDuration(time - this.#origin).padStart(7);
    this.#stream.write(`${this.#colours.dim(`[${at}]`)} ${text}\n`);
  }

  log(line: string): void {
    this.#stream.write(`${line}\n`);
  }

  stop(): void {}
}
