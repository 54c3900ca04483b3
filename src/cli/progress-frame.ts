// One frame of the live display as lines of text: a header, a row per step (state, elapsed time,
// the agent's last progress and message, or the error), and an overall bar with counts. Pure:
// the same model, time and size give the same lines, so it is tested without a terminal.
// A fan-out is one row, `research[*]`, with its items' counts; a repeat step's row says its
// iteration; a skip by condition or termination says so. The bar and counts are of steps: a
// fan-out is one step, done when all its items are.
import { formatDuration } from "../report/duration.js";
import { STATUS_WORDS, statusText } from "../report/outcome.js";
import { truncate, type Palette } from "./ansi.js";
import { FINAL_PHASES, type ProgressModel, type StepPhase, type StepView } from "./progress-model.js";
import { safeText } from "./safe-text.js";

export interface FrameOptions {
  /** Terminal width; every line is cut to `columns - 1` so that none wraps. */
  columns: number;
  /** Terminal height; with more steps than fit, the busiest ones are shown and the rest counted. */
  rows: number;
  colours: Palette;
  /** Advances the spinner of running steps. */
  tick: number;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const LABEL: Record<StepPhase, string> = { ...STATUS_WORDS, queued: "queued" };
/** Which steps to keep on a small screen: running first, then failures, then what comes next. */
const RANK: Record<StepPhase, number> = {
  running: 0, failed: 1, timed_out: 1, paused: 2, queued: 3, cancelled: 4, completed: 5, skipped: 5,
};

/** A bar of `width` cells, eighths for the last partial cell. */
export function bar(fraction: number, width: number): string {
  const eighths = Math.round(Math.min(1, Math.max(0, fraction)) * width * 8);
  const full = Math.floor(eighths / 8);
  const part = eighths % 8 === 0 ? "" : " ▏▎▍▌▋▊▉"[eighths % 8]!;
  return ("█".repeat(full) + part).padEnd(width, "░");
}

/** `text` cut to `width` in the middle, where ids of one family differ least: `research-…-topic-b`. */
export function cutMiddle(text: string, width: number): string {
  if (text.length <= width) return text;
  const head = Math.ceil((width - 1) / 2);
  const tail = width - 1 - head;
  return `${text.slice(0, head)}…${tail > 0 ? text.slice(-tail) : ""}`;
}

// Besides the id and agent columns, a row is ` ✔ ` (3), two gaps of 2, the status (9), a space and
// the time (6): 23 columns up to the time.
const ROW_FIXED = 23;

export function renderFrame(model: ProgressModel, now: number, o: FrameOptions): string[] {
  const c = o.colours;
  const width = Math.max(20, o.columns - 1);
  let idWidth = Math.min(24, Math.max(4, ...model.steps.map((s) => safeText(s.label).length)));
  const naturalAgent = Math.min(20, Math.max(5, ...model.steps.map((s) => safeText(s.agent).length)));
  // On a narrow terminal the agent column gives way first (the id is what tells rows apart), then
  // ids are cut in the middle, so that the status and time still show.
  let agentWidth = Math.min(naturalAgent, width - ROW_FIXED - idWidth);
  if (agentWidth < 5) {
    agentWidth = 0;
    idWidth = Math.min(idWidth, Math.max(8, width - ROW_FIXED + 2));
  }
  const icon = (s: StepView): string => {
    switch (s.phase) {
      case "queued": return c.dim("·");
      case "running": return c.cyan(SPINNER[o.tick % SPINNER.length]!);
      case "completed": return c.green("✔");
      case "failed": return c.red("✖");
      case "timed_out": return c.yellow("⧗");
      case "skipped": return c.dim("↷");
      case "cancelled": return c.yellow("⊘");
      case "paused": return c.magenta("‖");
    }
  };
  const tone = (s: StepView, text: string): string =>
    s.phase === "completed" ? c.green(text) : s.phase === "failed" ? c.red(text) : s.phase === "timed_out" || s.phase === "cancelled"
      ? c.yellow(text) : s.phase === "running" ? c.cyan(text) : s.phase === "paused" ? c.magenta(text) : c.dim(text);
  const row = (s: StepView): string => {
    const elapsed = s.phase === "running" && s.startedAt !== undefined ? now - s.startedAt : s.durationMs;
    const time = elapsed === undefined || s.phase === "queued" || s.phase === "skipped" ? "" : formatDuration(elapsed);
    let detail = "";
    if (s.fanOut !== undefined) {
      detail = fanOutDetail(s, c);
    } else if (s.phase === "running") {
      // A repeat step's attempts are its iterations: its number says more than "try 3".
      const iteration = s.iteration === undefined ? "" : `iteration ${s.iteration} `;
      const retry = s.attempt > 1 && s.iteration === undefined ? c.yellow(`try ${s.attempt} `) : "";
      const pct = s.progress === undefined ? "" : `${bar(s.progress, 10)} ${String(Math.round(s.progress * 100)).padStart(3)}% `;
      detail = `${iteration}${retry}${pct}${safeText(s.message ?? "")}`;
    } else if (s.error !== undefined && s.phase !== "cancelled") {
      detail = tone(s, safeText(s.error));
    } else if (s.phase === "completed" && s.iteration !== undefined) {
      detail = c.dim(`${s.iteration} iteration${s.iteration === 1 ? "" : "s"}${s.repeatExhausted === true ? ", the most allowed" : ""}`);
    }
    const stepId = safeText(s.label);
    const agentName = safeText(s.agent);
    const id = cutMiddle(stepId, idWidth).padEnd(idWidth);
    const agent = agentWidth === 0 ? "" : `${c.dim(agentName.length > agentWidth ? `${agentName.slice(0, agentWidth - 1)}…` : agentName.padEnd(agentWidth))}  `;
    const status = s.phase === "skipped" ? statusText({ status: "skipped", skipReason: s.skipReason }) : LABEL[s.phase];
    return ` ${icon(s)} ${c.bold(id)}  ${agent}${tone(s, status.padEnd(9))} ${time.padStart(6)}  ${detail}`.trimEnd();
  };

  const counts = model.counts();
  const total = model.steps.length;
  const header = `${c.bold("wavepool")}  ${safeText(model.goal)}  ${c.dim(`· ${total} step${total === 1 ? "" : "s"} in ${model.waves} wave${model.waves === 1 ? "" : "s"}`)}`;
  // The bar counts steps that are over for good: a cancelled or paused step is work not done, so the
  // bar of a cancelled run stops where the work stopped instead of filling up.
  const settled = model.steps.filter((s) => FINAL_PHASES.has(s.phase) && s.phase !== "cancelled" && s.phase !== "paused").length;
  const elapsed = model.startedAt === undefined ? 0 : (model.endedAt ?? now) - model.startedAt;
  const tally = [
    c.green(`✔ ${counts.completed}`),
    counts.failed + counts.timed_out > 0 ? c.red(`✖ ${counts.failed + counts.timed_out}`) : "",
    counts.running > 0 ? c.cyan(`${SPINNER[o.tick % SPINNER.length]} ${counts.running}`) : "",
    counts.queued > 0 ? c.dim(`· ${counts.queued}`) : "",
    counts.skipped > 0 ? c.dim(`↷ ${counts.skipped}`) : "",
    counts.cancelled > 0 ? c.yellow(`⊘ ${counts.cancelled}`) : "",
    counts.paused > 0 ? c.magenta(`‖ ${counts.paused}`) : "",
  ].filter(Boolean).join("  ");
  const footer = ` ${bar(total === 0 ? 1 : settled / total, 24)} ${settled}/${total}  ${tally}  ${c.dim(formatDuration(elapsed))}`;

  // Header and footer always show; steps get what is left of the screen (one line kept spare).
  const budget = Math.max(1, o.rows - 3);
  let shown = model.steps;
  let more = "";
  if (model.steps.length > budget) {
    const keep = new Set([...model.steps.keys()].sort((a, b) => RANK[model.steps[a]!.phase] - RANK[model.steps[b]!.phase] || a - b).slice(0, budget - 1));
    shown = model.steps.filter((_, i) => keep.has(i));
    const hidden = model.steps.filter((_, i) => !keep.has(i));
    const byPhase = new Map<string, number>();
    for (const s of hidden) byPhase.set(LABEL[s.phase], (byPhase.get(LABEL[s.phase]) ?? 0) + 1);
    more = c.dim(` … ${hidden.length} more: ${[...byPhase].map(([label, n]) => `${n} ${label}`).join(", ")}`);
  }
  const lines = [header, ...shown.map(row), ...(more ? [more] : []), footer];
  return lines.map((line) => truncate(line, width));
}

/**
 * A fan-out's row detail: its items' counts, then the latest item error while an item stands failed
 * (or the step's own error: a list that was not one), else the latest item message while it runs.
 */
function fanOutDetail(s: StepView, c: Palette): string {
  const fanOut = s.fanOut!;
  const failing = fanOut.count("failed") + fanOut.count("timed_out") > 0 && s.phase !== "cancelled";
  const error = failing && fanOut.error !== undefined ? fanOut.error : s.phase === "failed" || s.phase === "timed_out" ? s.error : undefined;
  const after = error !== undefined ? c.red(safeText(error)) : s.phase === "running" && fanOut.message !== undefined ? c.dim(safeText(fanOut.message)) : "";
  return [fanOut.known ? fanOut.text() : "", after].filter(Boolean).join("  ");
}
