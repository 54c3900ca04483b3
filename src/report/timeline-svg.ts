// Draws a finished run as a standalone SVG Gantt chart (`wavepool run --timeline`): a row per
// worker thread and a bar per step attempt, so idle threads and the steps that held a wave up show.
import type { AttemptRecord, ParallelOrchestrationResult, StepRecord, StepStatus } from "../run/result.js";
import { attemptsOf } from "./attempts.js";
import { describeDuration } from "./duration.js";
import { runOutcome, STATUS_WORDS } from "./outcome.js";

/** How `renderTimeline` lays the chart out. */
export interface TimelineOptions {
  /**
   * Width of the picture in pixels; the height follows from the number of threads.
   * @default 1200
   * @example renderTimeline(result, { width: 1600 })
   */
  width?: number;
  /**
   * Height of one lane of bars in pixels (a thread that ran two attempts at once gets two lanes).
   * @default 26
   */
  rowHeight?: number;
}

interface Bar { record: StepRecord; attempt: AttemptRecord; lane: number }
interface Row { threadId: number; bars: Bar[]; laneEnds: number[] }

const COLOURS: Record<StepStatus, { fill: string; text: string }> = {
  completed: { fill: "#2f9e44", text: "#ffffff" },
  failed: { fill: "#e03131", text: "#ffffff" },
  timed_out: { fill: "#f76707", text: "#1a1a1a" },
  cancelled: { fill: "#adb5bd", text: "#1a1a1a" },
  paused: { fill: "#7048e8", text: "#ffffff" },
  skipped: { fill: "#ffffff", text: "#1a1a1a" },
  pending: { fill: "#dee2e6", text: "#1a1a1a" },
  running: { fill: "#1c7ed6", text: "#ffffff" },
};
const LEGEND: StepStatus[] = ["completed", "failed", "timed_out", "cancelled", "paused"];
const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
// Sans-serif glyphs average a bit over half an em; erring wide keeps labels inside their bars.
const CHAR_WIDTH = 0.62;
const LEFT = 92;
const RIGHT = 44;

/**
 * Renders the run as a standalone SVG document (no scripts, no external fonts or ids).
 * Bars are the attempts in each step's `history`, coloured by status; skipped steps are
 * counted under the legend instead. Output is deterministic for a given result.
 * @example await writeFile("run.svg", renderTimeline(result));
 */
export function renderTimeline(result: ParallelOrchestrationResult, options: TimelineOptions = {}): string {
  const width = Math.max(480, Math.round(options.width ?? 1200));
  const laneHeight = Math.max(14, Math.round(options.rowHeight ?? 26));
  const { rows, bars, earlier } = layoutRows(result);
  const origin = Math.min(result.startedAt, ...bars.map((b) => b.attempt.startedAt));
  const end = Math.max(result.endedAt, ...bars.map((b) => b.attempt.endedAt));
  const span = Math.max(end - origin, 1);
  const plotWidth = width - LEFT - RIGHT;
  const xOf = (t: number): number => LEFT + ((t - origin) / span) * plotWidth;

  // Waves overlap under eager scheduling, so their labels are stacked in lanes instead of colliding.
  const waves = waveStarts(bars).map(([wave, start]) => ({ wave, x: xOf(start), lane: 0 }));
  const labelEnds: number[] = [];
  for (const w of waves) {
    const free = labelEnds.findIndex((e) => e < w.x);
    w.lane = free >= 0 ? free : labelEnds.length < 4 ? labelEnds.length : labelEnds.indexOf(Math.min(...labelEnds));
    labelEnds[w.lane] = w.x + textWidth(`wave ${w.wave}`, 10) + 8;
  }
  const plotTop = 40 + labelEnds.length * 13 + (labelEnds.length > 0 ? 4 : 0);
  const rowTops: number[] = [];
  let y = plotTop;
  for (const row of rows) { rowTops.push(y); y += Math.max(1, row.laneEnds.length) * laneHeight; }
  const plotBottom = Math.max(y, plotTop + laneHeight);

  const out: string[] = [];
  const steps = result.steps.length;
  const outcome = runOutcome(result);
  out.push(`<text class="title" x="16" y="24" font-size="14"><tspan font-weight="bold">wavepool run ${xml(result.runId)}</tspan>` +
    ` · ${steps} step${steps === 1 ? "" : "s"} · ${describeDuration(result.durationMs)} · ${outcome}</text>`);

  rows.forEach((row, i) => {
    const top = rowTops[i] ?? plotTop;
    const height = Math.max(1, row.laneEnds.length) * laneHeight;
    out.push(`<rect class="row" x="${LEFT}" y="${top}" width="${plotWidth}" height="${height}" fill="${i % 2 === 0 ? "#f8f9fa" : "#eef1f4"}"/>`);
    out.push(`<text class="row-label" x="${LEFT - 10}" y="${num(top + height / 2 + 4)}" text-anchor="end">${threadLabel(row.threadId)}</text>`);
  });
  if (rows.length === 0) {
    out.push(`<text x="${num(LEFT + plotWidth / 2)}" y="${num(plotTop + laneHeight / 2 + 4)}" text-anchor="middle" fill="#868e96">no step ran in this run</text>`);
  }

  const step = tickStep(span, Math.max(2, Math.floor(plotWidth / 90)));
  // Multiples of the step rather than a running sum, which drifts (0.1 + 0.2 ms).
  const ticks = Array.from({ length: Math.floor(span / step + 1e-9) + 1 }, (_, i) => i * step);
  out.push(`<g class="axis" stroke="#ced4da">`);
  for (const t of ticks) out.push(`<line x1="${num(xOf(origin + t))}" x2="${num(xOf(origin + t))}" y1="${plotTop}" y2="${plotBottom + 4}"/>`);
  out.push(`</g><g class="axis-labels" fill="#495057" font-size="10" text-anchor="middle">`);
  for (const t of ticks) out.push(`<text x="${num(xOf(origin + t))}" y="${plotBottom + 16}">${formatTick(t, step, span)}</text>`);
  out.push(`</g><line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${plotBottom}" y2="${plotBottom}" stroke="#868e96"/>`);

  rows.forEach((row, i) => {
    for (const bar of row.bars) out.push(barSvg(bar, xOf, (rowTops[i] ?? plotTop) + bar.lane * laneHeight, laneHeight, origin));
  });

  for (const w of waves) {
    const labelY = 40 + w.lane * 13;
    out.push(`<line class="wave" x1="${num(w.x)}" x2="${num(w.x)}" y1="${labelY + 3}" y2="${plotBottom}" stroke="#343a40" stroke-width="1" stroke-dasharray="4 3" opacity="0.75"/>`);
    out.push(`<text class="wave-label" x="${num(w.x + 3)}" y="${labelY}" font-size="10" fill="#343a40">wave ${w.wave}</text>`);
  }

  // Legend: counts are attempts, since retries are bars too; what has no bar goes in the footnote.
  let lx = 16;
  let ly = plotBottom + 38;
  for (const status of LEGEND) {
    const count = bars.filter((b) => b.attempt.status === status).length;
    const label = `${STATUS_WORDS[status]} (${count})`;
    const itemWidth = 18 + textWidth(label, 11) + 18;
    if (lx + itemWidth > width - 16) { lx = 16; ly += 18; }
    out.push(`<rect class="legend" x="${lx}" y="${ly - 10}" width="12" height="12" rx="2" fill="${COLOURS[status].fill}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly}">${label}</text>`);
    lx += itemWidth;
  }
  // One sentence per line, so a narrow chart does not clip them.
  const notes = footnote(result, bars, earlier);
  notes.forEach((note, i) => out.push(`<text class="footnote" x="16" y="${ly + 20 + i * 14}" font-size="10" fill="#495057">${xml(note)}</text>`));
  const height = ly + 20 + notes.length * 14;

  return `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="11" fill="#212529">\n` +
    `<rect width="${width}" height="${height}" fill="#ffffff"/>\n` + out.join("\n") + `\n</svg>\n`;
}

/** Every attempt that ran in this run, grouped into rows by thread (in order of first use) and lanes. */
function layoutRows(result: ParallelOrchestrationResult): { rows: Row[]; bars: Bar[]; earlier: number } {
  const all: { record: StepRecord; attempt: AttemptRecord }[] = [];
  let earlier = 0;
  for (const record of result.steps) {
    for (const attempt of attemptsOf(record)) {
      if (attempt.status === "skipped") continue;
      // An attempt that ended before this run began was restored from a saved state.
      if (attempt.endedAt < result.startedAt) { earlier++; continue; }
      all.push({ record, attempt });
    }
  }
  // Stable sort: attempts that start in the same millisecond keep definition order.
  all.sort((a, b) => a.attempt.startedAt - b.attempt.startedAt);
  const rows = new Map<number, Row>();
  const bars: Bar[] = [];
  for (const { record, attempt } of all) {
    let row = rows.get(attempt.threadId);
    if (row === undefined) rows.set(attempt.threadId, (row = { threadId: attempt.threadId, bars: [], laneEnds: [] }));
    // A thread runs one step at a time, but a pool with concurrentTasksPerWorker > 1 need not.
    let lane = row.laneEnds.findIndex((e) => e <= attempt.startedAt);
    if (lane < 0) lane = row.laneEnds.length;
    row.laneEnds[lane] = attempt.endedAt;
    const bar = { record, attempt, lane };
    row.bars.push(bar);
    bars.push(bar);
  }
  return { rows: [...rows.values()], bars, earlier };
}

/** The earliest start of each wave after the first, in time order. */
function waveStarts(bars: Bar[]): [number, number][] {
  const starts = new Map<number, number>();
  for (const { record, attempt } of bars) {
    if (record.wave > 0) starts.set(record.wave, Math.min(starts.get(record.wave) ?? Infinity, attempt.startedAt));
  }
  return [...starts].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
}

function barSvg(bar: Bar, xOf: (t: number) => number, top: number, laneHeight: number, origin: number): string {
  const { record, attempt } = bar;
  const x = xOf(attempt.startedAt);
  // A zero-length attempt still gets a sliver, so a step that failed at once is not invisible.
  const w = Math.max(xOf(attempt.endedAt) - x, 1.5);
  const colour = COLOURS[attempt.status];
  const duration = attempt.endedAt - attempt.startedAt;
  const tip = [
    record.stepId,
    `agent: ${record.agent}`,
    `attempt ${attempt.attempt} of ${Math.max(record.attempts, attempt.attempt)} · ${STATUS_WORDS[attempt.status]} · ${describeDuration(duration)}`,
    `wave ${record.wave} · ${threadLabel(attempt.threadId)} · started at +${describeDuration(attempt.startedAt - origin)}`,
    ...(attempt.error ? [`${attempt.error.name} (${attempt.error.code}): ${truncate(attempt.error.message, 300)}`] : []),
  ].join("\n");
  const name = attempt.attempt > 1 ? `${record.stepId} #${attempt.attempt}` : record.stepId;
  const label = truncate(name, Math.floor((w - 8) / (11 * CHAR_WIDTH)));
  const text = label === "" ? "" :
    `<text class="bar-label" x="${num(x + 4)}" y="${num(top + laneHeight / 2 + 4)}" fill="${colour.text}">${xml(label)}</text>`;
  return `<g class="attempt"><title>${xml(tip)}</title><rect class="bar" x="${num(x)}" y="${top + 3}" width="${num(w)}" height="${laneHeight - 6}" rx="2" fill="${colour.fill}" stroke="#ffffff" stroke-width="0.5"/>${text}</g>`;
}

function footnote(result: ParallelOrchestrationResult, bars: Bar[], earlier: number): string[] {
  const drawn = new Set(bars.map((b) => b.record));
  const counts = new Map<string, number>();
  for (const record of result.steps) {
    if (drawn.has(record)) continue;
    const why = record.status === "skipped" ? "skipped" : record.status === "completed" ? "restored from a saved state" : `${STATUS_WORDS[record.status]} before starting`;
    counts.set(why, (counts.get(why) ?? 0) + 1);
  }
  const parts = [...counts].map(([why, n]) => `${n} ${why}`);
  if (earlier > 0) parts.push(`${earlier} attempt${earlier === 1 ? "" : "s"} from an earlier run`);
  const hint = "Each bar is one attempt; hover it for step, agent, duration and status.";
  return parts.length === 0 ? [hint] : [`Not drawn: ${parts.join(", ")}.`, hint];
}

/** A round step (1, 2 or 5 times a power of ten) giving at most `maxTicks` ticks over `span`. */
function tickStep(span: number, maxTicks: number): number {
  const raw = span / maxTicks;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
}

/** A tick label in seconds for runs of a second or more, else in milliseconds; decimals follow the step. */
function formatTick(t: number, step: number, span: number): string {
  if (t === 0) return span >= 1000 ? "0 s" : "0 ms";
  if (span >= 1000) return `${(t / 1000).toFixed(Math.max(0, Math.ceil(-Math.log10(step / 1000) - 1e-9)))} s`;
  return `${t.toFixed(Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)))} ms`;
}

function threadLabel(threadId: number): string {
  return threadId < 0 ? "no thread" : `thread ${threadId}`;
}

function textWidth(text: string, fontSize: number): number {
  return Array.from(text).length * fontSize * CHAR_WIDTH;
}

/**
 * Cuts to `max` code points with an ellipsis in the middle, since ids tend to differ at the end
 * (`step_12`, `step_13`); gives "" when fewer than three characters would be left to read.
 */
function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  if (max < 4) return "";
  const tail = Math.floor((max - 1) / 2);
  return chars.slice(0, max - 1 - tail).join("") + "…" + chars.slice(chars.length - tail).join("");
}

function num(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** Escapes markup and replaces what XML 1.0 cannot hold at all (control characters, lone surrogates). */
function xml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex -- these are exactly the characters XML forbids
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
