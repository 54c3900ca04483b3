// Draws a finished run as a standalone SVG Gantt chart (`wavepool run --timeline`): a row per
// worker thread and a bar per step attempt, so idle threads and the steps that held a wave up show.
import type { ParallelOrchestrationResult, StepStatus } from "../run/result.js";
import { trackLabel, trackOf } from "./attempts.js";
import { describeDuration } from "./duration.js";
import { isItem, runOutcome, STATUS_WORDS, statusText } from "./outcome.js";
import { charsIn, num, textWidth, truncateEnd, truncateMiddle, wrapText, xml } from "./svg-text.js";
import { formatTick, timeTicks } from "./time-ticks.js";
import { layoutRows, placeWaveLabels, WAVE_LABEL_FONT, WAVE_LABEL_LINES, waveStarts, type Bar } from "./timeline-layout.js";

/** How `renderTimeline` lays the chart out. */
export interface TimelineOptions {
  /**
   * What the run was for, drawn as the picture's title with the run id below it, smaller: the
   * strategy's goal, typically (a result does not carry it). `wavepool run --timeline` passes it.
   * @default "wavepool run"
   * @example renderTimeline(result, { title: strategy.goal })
   */
  title?: string;
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
/** Attempts that went wrong get a mark above their bar, so that even a sliver of one is seen. */
const MARKED = new Set<StepStatus>(["failed", "timed_out"]);
const FONT = "system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif";
const MARGIN = 16;
const RIGHT = 44;
/** However short an attempt, its bar is at least this wide. */
export const MIN_BAR_WIDTH = 3;
const LABEL_FONT = 11;
/** A bar label cut shorter than this many characters says nothing: the bar goes unlabelled instead. */
const LEAST_LABEL = 6;

/**
 * Renders the run as a standalone SVG document (no scripts, no external fonts or ids): the title
 * (`options.title`, the run's goal) over the run id, a row per thread in thread order (a distributed run: per worker process, then thread), a bar per
 * attempt in each step's `history` coloured by status (never narrower than 3 px, failed and
 * timed-out ones marked above), dashed lines where waves began; skipped steps are counted under
 * the legend instead, by reason. A `forEach` step is drawn as its items' attempts (`research[3]`),
 * a `repeat` step as one bar per iteration (`polish ↻2`). Output is deterministic for a given
 * result and options.
 * @example await writeFile("run.svg", renderTimeline(result, { title: strategy.goal }));
 */
export function renderTimeline(result: ParallelOrchestrationResult, options: TimelineOptions = {}): string {
  const width = Math.max(480, Math.round(options.width ?? 1200));
  const laneHeight = Math.max(14, Math.round(options.rowHeight ?? 26));
  const { rows, bars, earlier } = layoutRows(result);
  const left = Math.max(92, MARGIN + Math.max(0, ...rows.map((r) => textWidth(trackLabel(r.track), LABEL_FONT))) + 10);
  // Loops, not spreads: a run of many items has more bars than a call has room for arguments.
  let origin = result.startedAt;
  let end = result.endedAt;
  for (const b of bars) {
    origin = Math.min(origin, b.attempt.startedAt);
    end = Math.max(end, b.attempt.endedAt);
  }
  const span = Math.max(end - origin, 1e-3);
  const plotWidth = width - left - RIGHT;
  const xOf = (t: number): number => left + ((t - origin) / span) * plotWidth;

  const out: string[] = [];
  const header = headerSvg(result, options.title, width);
  out.push(header.svg);

  // Waves overlap under eager scheduling: their labels take a few lines, and those with no room go.
  const waves = waveStarts(bars).map(({ wave, start }) => ({ wave, x: xOf(start) }));
  const labels = placeWaveLabels(waves, MARGIN / 2, width - MARGIN / 2);
  const lines = Math.min(WAVE_LABEL_LINES, Math.max(0, ...labels.map((l) => l.line + 1)));
  const labelTop = header.bottom + 16;
  const plotTop = labelTop + lines * 13 + (lines > 0 ? 4 : 0);
  const rowTops: number[] = [];
  let y = plotTop;
  for (const row of rows) { rowTops.push(y); y += Math.max(1, row.laneEnds.length) * laneHeight; }
  const plotBottom = Math.max(y, plotTop + laneHeight);

  rows.forEach((row, i) => {
    const top = rowTops[i] ?? plotTop;
    const height = Math.max(1, row.laneEnds.length) * laneHeight;
    out.push(`<rect class="row" x="${num(left)}" y="${top}" width="${num(plotWidth)}" height="${height}" fill="${i % 2 === 0 ? "#f8f9fa" : "#eef1f4"}"/>`);
    out.push(`<text class="row-label" x="${num(left - 10)}" y="${num(top + height / 2 + 4)}" text-anchor="end">${xml(trackLabel(row.track))}</text>`);
  });
  if (rows.length === 0) {
    out.push(`<text x="${num(left + plotWidth / 2)}" y="${num(plotTop + laneHeight / 2 + 4)}" text-anchor="middle" fill="#868e96">no step ran in this run</text>`);
  }

  const { step, ticks } = timeTicks(span, Math.max(2, Math.floor(plotWidth / 90)));
  out.push(`<g class="axis" stroke="#ced4da">`);
  for (const t of ticks) out.push(`<line x1="${num(xOf(origin + t))}" x2="${num(xOf(origin + t))}" y1="${plotTop}" y2="${plotBottom + 4}"/>`);
  out.push(`</g><g class="axis-labels" fill="#495057" font-size="10" text-anchor="middle">`);
  for (const t of ticks) out.push(`<text x="${num(xOf(origin + t))}" y="${plotBottom + 16}">${formatTick(t, step, span)}</text>`);
  out.push(`</g><line x1="${num(left)}" x2="${num(left + plotWidth)}" y1="${plotBottom}" y2="${plotBottom}" stroke="#868e96"/>`);

  let widened = 0;
  const marks: string[] = [];
  rows.forEach((row, i) => {
    for (const bar of row.bars) {
      const drawn = barSvg(bar, xOf, { top: (rowTops[i] ?? plotTop) + bar.lane * laneHeight, height: laneHeight, right: left + plotWidth }, origin);
      out.push(drawn.svg);
      if (drawn.mark !== undefined) marks.push(drawn.mark);
      if (drawn.widened) widened++;
    }
  });
  // Marks go over every bar, so that the next bar in the row cannot hide one.
  if (marks.length > 0) out.push(`<g class="marks" stroke="#1a1a1a" stroke-width="0.6">${marks.join("")}</g>`);

  const labelled = new Map(labels.map((l) => [l.wave, l]));
  for (const w of waves) {
    const label = labelled.get(w.wave);
    const top = label === undefined ? plotTop - 2 : labelTop + label.line * 13 + 3;
    out.push(`<line class="wave" x1="${num(w.x)}" x2="${num(w.x)}" y1="${top}" y2="${plotBottom}" stroke="#343a40" stroke-width="1" stroke-dasharray="4 3" opacity="0.75"/>`);
  }
  for (const l of labels) {
    // A white halo keeps a label legible where another wave's dashed line runs under it.
    out.push(`<text class="wave-label" x="${num(l.anchor === "start" ? l.left : l.right)}" y="${labelTop + l.line * 13}"${l.anchor === "end" ? ` text-anchor="end"` : ""}` +
      ` font-size="${WAVE_LABEL_FONT}" fill="#343a40" stroke="#ffffff" stroke-width="3" paint-order="stroke">${l.text}</text>`);
  }

  // Legend: counts are attempts, since retries are bars too; what has no bar goes in the footnote.
  let lx = MARGIN;
  let ly = plotBottom + 38;
  for (const status of LEGEND) {
    const count = bars.filter((b) => b.attempt.status === status).length;
    const label = `${STATUS_WORDS[status]} (${count})`;
    const itemWidth = 18 + textWidth(label, LABEL_FONT) + 18;
    if (lx + itemWidth > width - MARGIN) { lx = MARGIN; ly += 20; }
    out.push(`<rect class="legend" x="${lx}" y="${ly - 10}" width="12" height="12" rx="2" fill="${COLOURS[status].fill}"/>`);
    if (MARKED.has(status)) out.push(`<path class="legend-mark" d="${markPath(lx + 6, ly - 10)}" fill="${COLOURS[status].fill}" stroke="#1a1a1a" stroke-width="0.6"/>`);
    out.push(`<text x="${num(lx + 18)}" y="${ly}">${label}</text>`);
    lx += itemWidth;
  }
  // A sentence per line, wrapped where the picture is too narrow for it.
  const notes = footnote(result, bars, { earlier, widened, waves: waves.length, unlabelled: waves.length - labels.length, marks: marks.length })
    .flatMap((note) => wrapText(note, charsIn(width - 2 * MARGIN, 10)));
  notes.forEach((note, i) => out.push(`<text class="footnote" x="${MARGIN}" y="${ly + 20 + i * 14}" font-size="10" fill="#495057">${xml(note)}</text>`));
  const height = ly + 20 + Math.max(0, notes.length - 1) * 14 + 10;

  return `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="${LABEL_FONT}" fill="#212529">\n` +
    `<rect width="${width}" height="${height}" fill="#ffffff"/>\n` + out.join("\n") + `\n</svg>\n`;
}

/** The title (the run's goal), and below it, smaller, the run id, its size, length and outcome. */
function headerSvg(result: ParallelOrchestrationResult, title: string | undefined, width: number): { svg: string; bottom: number } {
  const heading = title?.trim() || "wavepool run";
  const items = result.steps.filter(isItem).length;
  const steps = result.steps.length - items;
  const count = `${steps} step${steps === 1 ? "" : "s"}${items === 0 ? "" : `, ${items} item${items === 1 ? "" : "s"}`}`;
  const facts = `run ${result.runId} · ${count} · ${describeDuration(result.durationMs)} · ${runOutcome(result)}`;
  const room = width - 2 * MARGIN;
  return {
    svg: `<text class="title" x="${MARGIN}" y="26" font-size="16" font-weight="bold">${xml(truncateEnd(heading, charsIn(room, 16)))}</text>\n` +
      `<text class="subtitle" x="${MARGIN}" y="44" font-size="11" fill="#495057">${xml(truncateEnd(facts, charsIn(room, 11)))}</text>`,
    bottom: 44,
  };
}

function barSvg(bar: Bar, xOf: (t: number) => number, lane: { top: number; height: number; right: number }, origin: number): {
  svg: string; mark: string | undefined; widened: boolean;
} {
  const { record, attempt } = bar;
  const start = xOf(attempt.startedAt);
  const exact = xOf(attempt.endedAt) - start;
  // However short, an attempt is seen: a step that failed at once is not a hairline.
  const w = Math.max(exact, MIN_BAR_WIDTH);
  const x = Math.min(start, lane.right - w);
  const colour = COLOURS[attempt.status];
  const duration = attempt.endedAt - attempt.startedAt;
  const tip = [
    record.stepId,
    ...(record.parent !== undefined ? [`item ${record.item ?? "?"} of ${record.parent}`] : []),
    `agent: ${record.agent}`,
    ...(attempt.iteration !== undefined ? [`iteration ${attempt.iteration} of ${Math.max(record.iterations ?? 0, attempt.iteration)}`] : []),
    `attempt ${attempt.attempt} of ${Math.max(record.attempts, attempt.attempt)} · ${STATUS_WORDS[attempt.status]} · ${describeDuration(duration)}`,
    `wave ${record.wave} · ${trackLabel(trackOf(attempt))} · started at +${describeDuration(attempt.startedAt - origin)}`,
    ...(attempt.error ? [`${attempt.error.name} (${attempt.error.code}): ${truncateMiddle(attempt.error.message, 300)}`] : []),
  ].join("\n");
  // An iteration is named by its number (`polish ↻2`), a retry by its attempt's (`step_3 #2`).
  const name = (attempt.iteration ?? 1) > 1 ? `${record.stepId} ↻${attempt.iteration}` : attempt.attempt > 1 ? `${record.stepId} #${attempt.attempt}` : record.stepId;
  const label = truncateMiddle(name, charsIn(w - 8, LABEL_FONT), LEAST_LABEL);
  const text = label === "" ? "" :
    `<text class="bar-label" x="${num(x + 4)}" y="${num(lane.top + lane.height / 2 + 4)}" fill="${colour.text}">${xml(label)}</text>`;
  const barTop = lane.top + 3;
  const mark = MARKED.has(attempt.status)
    ? `<path class="mark" d="${markPath(x + Math.min(w / 2, 6), barTop)}" fill="${colour.fill}"><title>${xml(`${record.stepId}: ${STATUS_WORDS[attempt.status]}`)}</title></path>`
    : undefined;
  return {
    // The white edge parts bars that have room; on widened slivers (thousands of items in a row) it
    // would be all there is to see, and the row would turn pale instead of the status's colour.
    svg: `<g class="attempt"><title>${xml(tip)}</title><rect class="bar" x="${num(x)}" y="${barTop}" width="${num(w)}" height="${lane.height - 6}" rx="${w < 6 ? 0.5 : 2}" fill="${colour.fill}"${exact < MIN_BAR_WIDTH ? "" : ` stroke="#ffffff" stroke-width="0.5"`}/>${text}</g>`,
    mark,
    widened: exact < MIN_BAR_WIDTH,
  };
}

/** A small triangle pointing down at (`x`, `y`), the top of a bar. */
function markPath(x: number, y: number): string {
  return `M${num(x - 4.5)} ${num(y - 6.5)}h9l-4.5 6.5z`;
}

function footnote(result: ParallelOrchestrationResult, bars: Bar[], counts: {
  earlier: number; widened: number; waves: number; unlabelled: number; marks: number;
}): string[] {
  const drawn = new Set(bars.map((b) => b.record));
  const missing = new Map<string, number>();
  const fanOuts: string[] = [];
  for (const record of result.steps) {
    // A fan-out ran nothing itself: its items are its bars.
    if (record.items !== undefined) { fanOuts.push(`${record.stepId}[*] (${record.items} item${record.items === 1 ? "" : "s"})`); continue; }
    if (drawn.has(record)) continue;
    const why = record.status === "skipped" ? statusText(record) : record.status === "completed" ? "restored from a saved state" : `${STATUS_WORDS[record.status]} before starting`;
    missing.set(why, (missing.get(why) ?? 0) + 1);
  }
  const parts = [...missing].map(([why, n]) => `${n} ${why}`);
  if (counts.earlier > 0) parts.push(`${counts.earlier} attempt${counts.earlier === 1 ? "" : "s"} from an earlier run`);
  const bar = ["Each bar is one attempt of a step"];
  if (counts.marks > 0) bar.push("a triangle above a bar marks a failed or timed-out attempt");
  if (counts.widened > 0) bar.push(`${counts.widened} attempt${counts.widened === 1 ? "" : "s"} shorter than ${MIN_BAR_WIDTH} px ${counts.widened === 1 ? "is" : "are"} drawn ${MIN_BAR_WIDTH} px wide`);
  const notes = [`${bar.join("; ")}.`];
  if (counts.waves > 0) {
    const unlabelled = counts.unlabelled === 0 ? "" : ` (${counts.unlabelled} left unlabelled for lack of room)`;
    notes.push(`A dashed line marks where the first step of a wave started${unlabelled}.`);
  }
  if (fanOuts.length > 0) notes.push(`A fan-out is drawn as its items' attempts, named step[item]: ${fanOuts.join(", ")}.`);
  if (parts.length > 0) notes.unshift(`Not drawn: ${parts.join(", ")}.`);
  if (runOutcome(result) === "terminated") {
    const why = result.terminationReason?.trim() ?? "";
    notes.unshift(why === "" ? "A termination ended the run." : `A termination ended the run: ${why}${/[.!?]$/.test(why) ? "" : "."}`);
  }
  return notes;
}

