// Runs the live scheduler (same ready queue, same priority rule, same nextSteps) on a virtual
// clock: what it predicts is the order a pool of `threads` threads would see. A forEach step runs
// as its items, each a task scheduled like a step: equal-priority siblings (the step's priority,
// then item order), at most `forEachConcurrency` of them in flight; its dependents wait for all.
import { bottomLevels, criticalPath } from "../graph/critical-path.js";
import type { StrategyMap } from "../strategy/strategy-map.js";
import { nextSteps } from "./next-steps.js";
import { priorityRule } from "./priority.js";
import { ReadyQueue } from "./ready-queue.js";
import { SCHEDULING_MODES, type Scheduling } from "./scheduling.js";
import { resolveCosts, type SimulatedCost } from "./simulate-costs.js";

export interface SimulateOptions {
  /** Identical threads to schedule on. */
  threads: number;
  /** @default "eager" */
  scheduling?: Scheduling;
  /**
   * Duration of each step by id. @default the step's `cost` option, else 1
   *
   * A forEach step runs as `costs["<stepId>[*]"] = { items, cost }`: `items` tasks of `cost` each
   * (default: one item, costing what the step would). A `when` step is assumed to run. A repeat
   * step is one task of `costs["<stepId>"]`, the duration of all its iterations (default: one
   * iteration, the step's `cost` option, else 1).
   */
  costs?: Readonly<Record<string, SimulatedCost>> | ReadonlyMap<string, SimulatedCost>;
}

export interface SimulatedStep {
  /** The step's id; an item of a forEach step is `"<stepId>[<index>]"`. */
  stepId: string;
  /** 0 .. threads-1; a step goes to the lowest-numbered free thread. */
  thread: number;
  start: number;
  end: number;
}

export interface Simulation {
  makespan: number;
  /**
   * max(critical path, total work / threads): no schedule can be shorter. Work counts every item;
   * on the critical path, a forEach step of `items` items costs `ceil(items / k) * cost`, k being
   * its forEachConcurrency or the threads, whichever is lower.
   */
  lowerBound: number;
  /** In dispatch order. */
  schedule: SimulatedStep[];
}

/**
 * Simulates a run. Deterministic: equal input gives an equal schedule. Ties between ready steps
 * go to the step defined first (between items of one step, to the lower index); steps ending at
 * the same time are retired in dispatch order.
 * @example simulate(strategy, { threads: 4, costs: { research: 300, write: 120 } }).makespan
 * @example simulate(strategy, { threads: 4, costs: { "research[*]": { items: 12, cost: 30 } } }).makespan
 */
export function simulate(strategy: StrategyMap, options: SimulateOptions): Simulation {
  const { threads, scheduling = "eager" } = options ?? ({} as SimulateOptions);
  if (typeof threads !== "number" || !Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`Expected \`threads\` to be an integer from 1 and up, got \`${String(threads)}\` (${typeof threads})`);
  }
  if (!SCHEDULING_MODES.includes(scheduling)) {
    throw new TypeError(`Expected \`scheduling\` to be "eager" or "waves", got ${JSON.stringify(scheduling)}`);
  }
  const graph = strategy.graph();
  const n = graph.steps.length;
  const { cost, items } = resolveCosts(strategy, options.costs);
  const fanOut = graph.steps.map((step) => step.forEach !== undefined);
  const inFlight = graph.steps.map((step) => step.forEachConcurrency ?? Infinity);
  // Priority: an item's bottom level in the graph of tasks, which is its step's with the item's cost.
  const bl = bottomLevels(graph, (i) => cost[i]!);
  // Bound: a step of k items, at most m at once, takes at least ceil(k / m) item durations.
  const span = (i: number): number => (fanOut[i] ? Math.ceil(items[i]! / Math.min(inFlight[i]!, threads)) * cost[i]! : cost[i]!);
  let work = 0;
  for (let i = 0; i < n; i++) work += items[i]! * cost[i]!;
  const spans = fanOut.includes(true) ? bottomLevels(graph, span) : bl;
  const lowerBound = Math.max(criticalPath(graph, spans).cost, work / threads);

  // Tasks: each step's items, or the step itself, numbered in step order then item order.
  const first = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) first[i + 1] = first[i]! + items[i]!;
  const tasks = first[n]!;
  const stepOf = new Int32Array(tasks);
  for (let i = 0; i < n; i++) stepOf.fill(i, first[i]!, first[i + 1]!);
  const taskLevel = Int32Array.from(stepOf, (i) => graph.level[i]!);
  const taskBl = Float64Array.from(stepOf, (i) => bl[i]!);

  const ready = new ReadyQueue(priorityRule(scheduling, { bottomLevel: taskBl, level: taskLevel }));
  const end = new Float64Array(tasks);
  const seq = new Int32Array(tasks);
  const running = new ReadyQueue((a, b) => (end[a] !== end[b] ? end[a]! < end[b]! : seq[a]! < seq[b]!));
  const thread = new Int32Array(tasks);
  const freeThreads = new ReadyQueue((a, b) => a < b);
  for (let t = 0; t < threads; t++) freeThreads.push(t);
  const waiting = Int32Array.from(graph.deps, (d) => d.length);
  const unsettled = graph.waves.map((w) => w.length);
  /** Per step: items handed to the ready queue, items done. */
  const released = new Int32Array(n);
  const done = new Int32Array(n);
  let openLevel = 0;

  // A step whose items are all done settles: its dependents may start. A step of no items settles
  // as it starts, and so may its dependents: a stack, not recursion, however long that chain.
  const settled: number[] = [];
  const start = (i: number): void => {
    if (items[i] === 0) settled.push(i);
    const count = fanOut[i] ? Math.min(items[i]!, inFlight[i]!) : 1;
    for (; released[i]! < count; released[i]!++) ready.push(first[i]! + released[i]!);
  };
  const settle = (step: number): void => {
    settled.push(step);
    for (let i = settled.pop(); i !== undefined; i = settled.pop()) {
      if (--unsettled[graph.level[i]!]! === 0) while (unsettled[openLevel] === 0) openLevel++;
      for (const d of graph.dependents[i]!) if (--waiting[d]! === 0) start(d);
    }
  };
  for (let i = 0; i < n; i++) if (waiting[i] === 0) start(i);
  for (let i = settled.pop(); i !== undefined; i = settled.pop()) settle(i);

  const schedule: SimulatedStep[] = [];
  let now = 0;
  let makespan = 0;
  while (schedule.length < tasks || running.size > 0) {
    const picked = nextSteps({ mode: scheduling, ready, running: running.size, limit: threads, level: taskLevel, openLevel });
    for (const t of picked) {
      const i = stepOf[t]!;
      thread[t] = freeThreads.pop()!;
      end[t] = now + cost[i]!;
      seq[t] = schedule.length;
      running.push(t);
      const stepId = fanOut[i] ? `${graph.steps[i]!.stepId}[${t - first[i]!}]` : graph.steps[i]!.stepId;
      schedule.push({ stepId, thread: thread[t]!, start: now, end: end[t]! });
    }
    // Retire every task that ends at the earliest end time, then schedule again at that time.
    const next = running.pop();
    if (next === undefined) break;
    now = end[next]!;
    makespan = Math.max(makespan, now);
    for (let t: number | undefined = next; t !== undefined; t = end[running.peek() ?? -1] === now ? running.pop() : undefined) {
      freeThreads.push(thread[t]!);
      const i = stepOf[t]!;
      // The next item of a step held back by its forEachConcurrency takes the place of this one.
      if (released[i]! < items[i]!) ready.push(first[i]! + released[i]!++);
      if (++done[i]! === items[i]!) settle(i);
    }
  }
  return { makespan, lowerBound, schedule };
}
