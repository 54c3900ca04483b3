// Runs the live scheduler (same ready queue, same priority rule, same nextSteps) on a virtual
// clock: what it predicts is the order a pool of `threads` threads would see.
import { StrategyValidationError } from "../errors.js";
import { bottomLevels, criticalPath } from "../graph/critical-path.js";
import type { StrategyMap } from "../strategy/strategy-map.js";
import { nextSteps } from "./next-steps.js";
import { priorityRule } from "./priority.js";
import { ReadyQueue } from "./ready-queue.js";
import { SCHEDULING_MODES, type Scheduling } from "./scheduling.js";

export interface SimulateOptions {
  /** Identical threads to schedule on. */
  threads: number;
  /** @default "eager" */
  scheduling?: Scheduling;
  /** Duration of each step by id. @default the step's `cost` option, else 1 */
  costs?: Readonly<Record<string, number>> | ReadonlyMap<string, number>;
}

export interface SimulatedStep {
  stepId: string;
  /** 0 .. threads-1; a step goes to the lowest-numbered free thread. */
  thread: number;
  start: number;
  end: number;
}

export interface Simulation {
  makespan: number;
  /** max(critical path, total work / threads): no schedule can be shorter. */
  lowerBound: number;
  /** In dispatch order. */
  schedule: SimulatedStep[];
}

/**
 * Simulates a run. Deterministic: equal input gives an equal schedule. Ties between ready steps
 * go to the step defined first; steps ending at the same time are retired in dispatch order.
 * @example simulate(strategy, { threads: 4, costs: { research: 300, write: 120 } }).makespan
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
  const cost = resolveCosts(strategy, options.costs);
  const bl = bottomLevels(graph, (i) => cost[i]!);
  const lowerBound = Math.max(criticalPath(graph, bl).cost, cost.reduce((a, b) => a + b, 0) / threads);

  const ready = new ReadyQueue(priorityRule(scheduling, { bottomLevel: bl, level: graph.level }));
  const end = new Float64Array(n);
  const seq = new Int32Array(n);
  const running = new ReadyQueue((a, b) => (end[a] !== end[b] ? end[a]! < end[b]! : seq[a]! < seq[b]!));
  const thread = new Int32Array(n);
  const freeThreads = new ReadyQueue((a, b) => a < b);
  for (let t = 0; t < threads; t++) freeThreads.push(t);
  const waiting = Int32Array.from(graph.deps, (d) => d.length);
  const unsettled = graph.waves.map((w) => w.length);
  let openLevel = 0;
  for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i);

  const schedule: SimulatedStep[] = [];
  let now = 0;
  let makespan = 0;
  while (schedule.length < n || running.size > 0) {
    const picked = nextSteps({ mode: scheduling, ready, running: running.size, limit: threads, level: graph.level, openLevel });
    for (const i of picked) {
      thread[i] = freeThreads.pop()!;
      end[i] = now + cost[i]!;
      seq[i] = schedule.length;
      running.push(i);
      schedule.push({ stepId: graph.steps[i]!.stepId, thread: thread[i]!, start: now, end: end[i]! });
    }
    // Retire every step that ends at the earliest end time, then schedule again at that time.
    const first = running.pop();
    if (first === undefined) break;
    now = end[first]!;
    makespan = Math.max(makespan, now);
    for (let i: number | undefined = first; i !== undefined; i = end[running.peek() ?? -1] === now ? running.pop() : undefined) {
      freeThreads.push(thread[i]!);
      if (--unsettled[graph.level[i]!]! === 0) while (unsettled[openLevel] === 0) openLevel++;
      for (const d of graph.dependents[i]!) if (--waiting[d]! === 0) ready.push(d);
    }
  }
  return { makespan, lowerBound, schedule };
}

function resolveCosts(strategy: StrategyMap, given: SimulateOptions["costs"]): number[] {
  const map = given instanceof Map ? given : new Map(Object.entries(given ?? {}));
  for (const [stepId, value] of map) {
    if (strategy.getStep(stepId) === undefined) {
      throw new StrategyValidationError(`costs names step ${JSON.stringify(stepId)}, which is not in the strategy`, { path: `costs.${stepId}` });
    }
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`Expected \`costs.${stepId}\` to be a finite number from 0 and up, got \`${String(value)}\``);
    }
  }
  return strategy.steps.map((s) => map.get(s.stepId) ?? s.cost ?? 1);
}
