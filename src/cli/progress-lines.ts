// Progress without a terminal (a pipe, a CI log): one plain line per event, times from the run's
// start, e.g. `[  0.12s] step:start step_1 (ResearchAgent) wave 0 attempt 1`.
import { formatDuration } from "../report/duration.js";
import { runOutcome, STATUS_WORDS, statusTally } from "../report/outcome.js";
import type { RunEvent } from "../run/events.js";
import type { Palette } from "./ansi.js";
import type { ProgressDisplay } from "./progress-live.js";
import { errorText } from "./progress-model.js";
import { safeText as t } from "./safe-text.js";

/** The text of one event's line, without the time stamp. */
export function describeEvent(event: RunEvent, c: Palette): string {
  switch (event.type) {
    case "run:start":
      return `run:start ${t(event.runId)} ${event.steps} step${event.steps === 1 ? "" : "s"} in ${event.waves.length} wave${event.waves.length === 1 ? "" : "s"}`;
    case "wave:start":
      return `wave:start ${event.wave} ${event.stepIds.map(t).join(" ")}`;
    case "step:start":
      return `step:start ${t(event.stepId)} (${t(event.agent)}) wave ${event.wave} attempt ${event.attempt}`;
    case "step:progress":
      return `step:progress ${t(event.stepId)} (${t(event.agent)}) ${Math.round(event.progress * 100)}%${event.message === undefined ? "" : ` ${t(event.message)}`}`;
    case "step:end": {
      const where = event.threadId >= 0 ? ` on thread ${event.threadId}` : "";
      const text = `step:end ${t(event.stepId)} (${t(event.agent)}) ${STATUS_WORDS[event.status]} in ${formatDuration(event.durationMs)}${where}`;
      const error = event.error === undefined ? "" : `: ${errorText(event.error)}`;
      return event.status === "completed" ? text : c.red(`${text}${error}`);
    }
    case "run:end": {
      const r = event.result;
      return `run:end ${runOutcome(r)} ${statusTally(r)} in ${formatDuration(r.durationMs)}`;
    }
  }
}

export class LineProgress implements ProgressDisplay {
  readonly #stream: NodeJS.WritableStream;
  readonly #colours: Palette;
  #origin: number | undefined;

  constructor(stream: NodeJS.WritableStream, colours: Palette) {
    this.#stream = stream;
    this.#colours = colours;
  }

  onEvent(event: RunEvent): void {
    this.#origin ??= event.time;
    const at = formatDuration(event.time - this.#origin).padStart(7);
    this.#stream.write(`${this.#colours.dim(`[${at}]`)} ${describeEvent(event, this.#colours)}\n`);
  }

  log(line: string): void {
    this.#stream.write(`${line}\n`);
  }

  stop(): void {}
}
