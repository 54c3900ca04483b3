// Turns a finished run into Chrome trace-event JSON (`wavepool run --trace`), the format that
// Perfetto and chrome://tracing open: a track per worker thread, a slice per step attempt (an item
// of a fan-out, an iteration of a repeat step), and a span per fan-out over its items.
import type { AttemptRecord, ParallelOrchestrationResult, SkipReason, StepRecord, StepStatus } from "../run/result.js";
import { attemptsOf, byTrack, trackKey, trackLabel, trackOf, type Track } from "./attempts.js";
import { isItem, runOutcome, type RunOutcome } from "./outcome.js";

/** A slice: one step attempt on one thread (`ph: "X"`, a complete event). Times are microseconds. */
export interface TraceCompleteEvent {
  ph: "X";
  name: string;
  cat: StepStatus;
  pid: number;
  tid: number;
  /** Start, in microseconds since the run started (fractional: tenths of a microsecond). */
  ts: number;
  /** Duration in microseconds (fractional), so a step shorter than a millisecond still has a width. */
  dur: number;
  args: {
    stepId: string;
    agent: string;
    wave: number;
    attempt: number;
    status: StepStatus;
    /** An item of a `forEach` step: the step's id and the item's index (the slice is named `research[3]`). */
    parent?: string;
    item?: number;
    /** An attempt of a `repeat` step: its iteration (1, 2, ...). */
    iteration?: number;
    error?: { name: string; code: string; message: string };
  };
}

/**
 * The span of a `forEach` step from its first item's start to its last item's end: a nestable async
 * begin (`ph: "b"`) and end (`ph: "e"`) pair with the step's id, which Perfetto draws on a track of
 * its own above the threads, since its items ran on many.
 */
export interface TraceAsyncEvent {
  ph: "b" | "e";
  name: string;
  cat: "forEach";
  id: string;
  pid: number;
  tid: number;
  ts: number;
  args: { stepId: string; agent?: string; wave?: number; items?: number; status?: StepStatus };
}

/** A marker across every track at the moment a wave's first step started (`ph: "i"`, global scope). */
export interface TraceInstantEvent {
  ph: "i";
  s: "g";
  name: string;
  cat: "wave";
  pid: number;
  tid: number;
  ts: number;
  args: { wave: number };
}

/** Names and orders the process and its threads (`ph: "M"`). */
export interface TraceMetadataEvent {
  ph: "M";
  name: "process_name" | "thread_name" | "thread_sort_index";
  cat: "__metadata";
  pid: number;
  tid: number;
  ts: 0;
  args: { name: string } | { sort_index: number };
}

export type TraceEvent = TraceCompleteEvent | TraceAsyncEvent | TraceInstantEvent | TraceMetadataEvent;

/** The JSON object format of the trace-event spec; `JSON.stringify` it to a `.json` file. */
export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: "ms";
  metadata?: {
    runId: string;
    /** The title given to `toChromeTrace` (the run's goal), if any. */
    title?: string;
    /** What the run came to (`runOutcome`). */
    outcome: RunOutcome;
    success: boolean;
    cancelled: boolean;
    paused: boolean;
    /** A termination ended the run, and why (its rendered reason). */
    terminated: boolean;
    terminationReason?: string;
    /** ISO time the run started; every `ts` is relative to it. */
    startedAt: string;
    durationMs: number;
    /** Steps of the strategy (a fan-out is one), and the items of fan-outs apart. */
    steps: number;
    items: number;
    /** Steps and items that have no slice, by status (skipped, cancelled before starting, restored from state). */
    notRun: Record<string, string[]>;
    /** Why each skipped step was skipped, where the run said (`condition`, `terminated`, `dependency`). */
    skipReasons: Record<string, SkipReason>;
  };
}

/** How `toChromeTrace` names the trace. */
export interface ChromeTraceOptions {
  /**
   * What the run was for, the strategy's goal say: it names the trace's process (the heading
   * Perfetto shows above the threads), followed by the run id.
   * @default none: the process is named "wavepool run <runId>"
   * @example toChromeTrace(result, { title: strategy.goal })
   */
  title?: string;
}

/**
 * The run's own process. A distributed run's attempts ran in worker processes: each gets a pid of
 * its own (2, 3, ... in name order), named after the worker, its threads under it.
 */
const PID = 1;

/**
 * Converts a run result to a Chrome trace: one complete event per step attempt (from each
 * step's `history`), `ts`/`dur` in fractional microseconds from the run's start, `tid` = the
 * worker's `threadId`, threads named "thread N" and sorted by id (in a distributed run, under a
 * process per worker), and a global instant event where each wave after the first began.
 * @example await writeFile("run.json", JSON.stringify(toChromeTrace(result, { title: strategy.goal })));
 */
export function toChromeTrace(result: ParallelOrchestrationResult, options: ChromeTraceOptions = {}): ChromeTrace {
  const ran: { record: StepRecord; attempt: AttemptRecord }[] = [];
  for (const record of result.steps) {
    for (const attempt of attemptsOf(record)) {
      // Skipped attempts never ran; ones that ended before the run began were restored from a state file.
      if (attempt.status !== "skipped" && attempt.endedAt >= result.startedAt) ran.push({ record, attempt });
    }
  }
  // Stable sort: attempts that start in the same millisecond keep definition order.
  ran.sort((a, b) => a.attempt.startedAt - b.attempt.startedAt);
  // Sorted: the first attempt is the earliest (no spread of 10,000s of arguments).
  const origin = Math.min(result.startedAt, ran[0]?.attempt.startedAt ?? Infinity);
  // Tenths of a microsecond: finer than that is below what an epoch-ms double holds (~0.24 µs).
  const micros = (ms: number): number => Math.max(0, Math.round(ms * 10_000) / 10);

  const slices: TraceEvent[] = [];
  const tracks = new Map<string, Track>();
  const workers = [...new Set(ran.flatMap(({ attempt }) => attempt.worker === undefined ? [] : [attempt.worker]))].sort();
  const pidOf = (worker: string | undefined): number => worker === undefined ? PID : PID + 1 + workers.indexOf(worker);
  const waveStarts = new Map<number, number>();
  for (const { record, attempt } of ran) {
    const track = trackOf(attempt);
    const key = trackKey(track);
    if (!tracks.has(key)) tracks.set(key, track);
    if (record.wave > 0) waveStarts.set(record.wave, Math.min(waveStarts.get(record.wave) ?? Infinity, attempt.startedAt));
    const event: TraceCompleteEvent = {
      ph: "X",
      name: record.stepId,
      cat: attempt.status,
      pid: pidOf(attempt.worker),
      tid: attempt.threadId,
      ts: micros(attempt.startedAt - origin),
      dur: micros(attempt.endedAt - attempt.startedAt),
      args: { stepId: record.stepId, agent: record.agent, wave: record.wave, attempt: attempt.attempt, status: attempt.status },
    };
    if (record.parent !== undefined) event.args.parent = record.parent;
    if (record.item !== undefined) event.args.item = record.item;
    if (attempt.iteration !== undefined) event.args.iteration = attempt.iteration;
    if (attempt.error !== undefined) {
      // The stack stays out: it is long, and the step's record in `--json` output keeps it.
      event.args.error = { name: attempt.error.name, code: attempt.error.code, message: attempt.error.message };
    }
    slices.push(event);
  }
  const sorted = [...tracks.values()].sort(byTrack);
  // Global events and fan-out spans sit on the first track of the run's own process.
  const firstTid = sorted.find((t) => t.worker === undefined)?.threadId ?? 0;
  for (const [wave, start] of [...waveStarts].sort((a, b) => a[1] - b[1] || a[0] - b[0])) {
    slices.push({ ph: "i", s: "g", name: `wave ${wave}`, cat: "wave", pid: PID, tid: firstTid, ts: micros(start - origin), args: { wave } });
  }
  slices.push(...fanOutSpans(result, micros, origin, firstTid));
  slices.sort((a, b) => a.ts - b.ts);

  const title = options.title?.trim() ?? "";
  const processName = title === "" ? `wavepool run ${result.runId}` : `${title} · run ${result.runId}`;
  const meta: TraceMetadataEvent[] = [
    { ph: "M", name: "process_name", cat: "__metadata", pid: PID, tid: 0, ts: 0, args: { name: processName } },
  ];
  for (const worker of workers) {
    meta.push({ ph: "M", name: "process_name", cat: "__metadata", pid: pidOf(worker), tid: 0, ts: 0, args: { name: `worker ${worker}` } });
  }
  sorted.forEach((track, index) => {
    const pid = pidOf(track.worker);
    const tid = track.threadId;
    const name = trackLabel({ threadId: tid });
    meta.push({ ph: "M", name: "thread_name", cat: "__metadata", pid, tid, ts: 0, args: { name } });
    meta.push({ ph: "M", name: "thread_sort_index", cat: "__metadata", pid, tid, ts: 0, args: { sort_index: index } });
  });

  const drawn = new Set(ran.map((r) => r.record));
  const notRun: Record<string, string[]> = {};
  const skipReasons: Record<string, SkipReason> = {};
  let items = 0;
  for (const record of result.steps) {
    if (isItem(record)) items++;
    if (record.skipReason !== undefined && record.status === "skipped") skipReasons[record.stepId] = record.skipReason;
    // A fan-out ran nothing itself: its items are its slices, and its span is drawn apart.
    if (!drawn.has(record) && record.items === undefined) (notRun[record.status] ??= []).push(record.stepId);
  }
  return {
    traceEvents: [...meta, ...slices],
    displayTimeUnit: "ms",
    metadata: {
      runId: result.runId,
      ...(title === "" ? {} : { title }),
      outcome: runOutcome(result),
      success: result.success,
      cancelled: result.cancelled,
      paused: result.paused,
      terminated: result.terminated,
      ...(result.terminationReason === undefined ? {} : { terminationReason: result.terminationReason }),
      startedAt: Number.isFinite(result.startedAt) ? new Date(result.startedAt).toISOString() : "",
      durationMs: result.durationMs,
      steps: result.steps.length - items,
      items,
      notRun,
      skipReasons,
    },
  };
}

/** A begin/end pair per fan-out that ran in this run, from its record's start to its end. */
function fanOutSpans(result: ParallelOrchestrationResult, micros: (ms: number) => number, origin: number, tid: number): TraceAsyncEvent[] {
  const spans: TraceAsyncEvent[] = [];
  for (const record of result.steps) {
    const { startedAt, endedAt, items } = record;
    if (items === undefined || startedAt === undefined || endedAt === undefined || endedAt < result.startedAt) continue;
    const name = `${record.stepId}[*]`;
    const common = { name, cat: "forEach" as const, id: record.stepId, pid: PID, tid };
    spans.push({ ph: "b", ...common, ts: micros(startedAt - origin), args: { stepId: record.stepId, agent: record.agent, wave: record.wave, items } });
    spans.push({ ph: "e", ...common, ts: micros(endedAt - origin), args: { stepId: record.stepId, status: record.status } });
  }
  return spans;
}
