// Where things go in the timeline picture, before any SVG is written: attempts into rows (one per
// thread, of each worker process in a distributed run) and lanes, and the wave labels into a few lines above the plot where none overlaps
// another or runs off the picture.
import type { AttemptRecord, ParallelOrchestrationResult, StepRecord } from "../run/result.js";
import { attemptsOf, byTrack, trackKey, trackOf, type Track } from "./attempts.js";
import { textWidth } from "./svg-text.js";

export interface Bar { record: StepRecord; attempt: AttemptRecord; lane: number }
export interface Row { track: Track; bars: Bar[]; laneEnds: number[] }

/** Every attempt that ran in this run, in rows by thread (of a worker, in a distributed run) and lanes within a row. */
export function layoutRows(result: ParallelOrchestrationResult): { rows: Row[]; bars: Bar[]; earlier: number } {
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
  // Stable sort: attempts that start at the same time keep definition order.
  all.sort((a, b) => a.attempt.startedAt - b.attempt.startedAt);
  const rows = new Map<string, Row>();
  const bars: Bar[] = [];
  for (const { record, attempt } of all) {
    const track = trackOf(attempt);
    const key = trackKey(track);
    let row = rows.get(key);
    if (row === undefined) rows.set(key, (row = { track, bars: [], laneEnds: [] }));
    // A thread runs one step at a time, but a pool with concurrentTasksPerWorker > 1 need not.
    let lane = row.laneEnds.findIndex((e) => e <= attempt.startedAt);
    if (lane < 0) lane = row.laneEnds.length;
    row.laneEnds[lane] = attempt.endedAt;
    const bar = { record, attempt, lane };
    row.bars.push(bar);
    bars.push(bar);
  }
  return { rows: [...rows.values()].sort((a, b) => byTrack(a.track, b.track)), bars, earlier };
}

/** The earliest start of each wave after the first, in time order. */
export function waveStarts(bars: Bar[]): { wave: number; start: number }[] {
  const starts = new Map<number, number>();
  for (const { record, attempt } of bars) {
    if (record.wave > 0) starts.set(record.wave, Math.min(starts.get(record.wave) ?? Infinity, attempt.startedAt));
  }
  return [...starts].sort((a, b) => a[1] - b[1] || a[0] - b[0]).map(([wave, start]) => ({ wave, start }));
}

/** A wave's label: its text, which line above the plot it sits on, and where it starts and ends. */
export interface WaveLabel { wave: number; x: number; text: string; line: number; left: number; right: number; anchor: "start" | "end" }

/** Lines of wave labels at most; past that, a label that finds no room is left out (its dashed line stays). */
export const WAVE_LABEL_LINES = 3;
export const WAVE_LABEL_FONT = 10;
const GAP = 3;
const SPACING = 6;

/**
 * Places a label beside each wave's line (`x`): to its right, or to its left where the right would
 * run past `maxX`, on the first of a few lines where it overlaps no other label; failing that as
 * "wave N", as just "N". Returns the labels placed; waves missing from it are drawn unlabelled.
 */
export function placeWaveLabels(waves: { wave: number; x: number }[], minX: number, maxX: number): WaveLabel[] {
  const lines: { left: number; right: number }[][] = [];
  const placed: WaveLabel[] = [];
  for (const { wave, x } of waves) {
    const label = [`wave ${wave}`, String(wave)].flatMap((text) => {
      const width = textWidth(text, WAVE_LABEL_FONT);
      const right = { left: x + GAP, right: x + GAP + width, anchor: "start" as const };
      const left = { left: x - GAP - width, right: x - GAP, anchor: "end" as const };
      return [right, left].filter((s) => s.left >= minX && s.right <= maxX).map((s) => ({ ...s, text }));
    }).flatMap((spot) => {
      for (let line = 0; line < WAVE_LABEL_LINES; line++) {
        const taken = lines[line] ?? [];
        if (taken.every((t) => spot.right + SPACING <= t.left || spot.left >= t.right + SPACING)) return [{ ...spot, line }];
      }
      return [];
    })[0];
    if (label === undefined) continue;
    (lines[label.line] ??= []).push({ left: label.left, right: label.right });
    placed.push({ wave, x, ...label });
  }
  return placed;
}
