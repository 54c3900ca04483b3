// Keeps the orchestrator's own pool warm. It starts with as many threads as there are cores, so that
// a run's first step does not wait while threads beyond them start (they would compete for the same
// cores); once a run is under way the pool grows to its size, a few threads starting at a time (one
// core is left to the run), and it grows back whenever a started thread exits (a timeout or a crash
// terminated it).
//
// Every thread that starts loads the agents that passed preflight on the pool before it is offered
// any step: its warm-up, a load task that only it may take (./pool-balancer.ts) and that goes before
// the steps waiting (./pool-queue.ts). An agent whose warm-up fails, hangs or kills the thread is
// left out of later warm-ups: steps then import it on their own thread, and report what goes wrong.
import { availableParallelism } from "node:os";
import type { Piscina } from "piscina";
import type { AgentSpec, LoadOutcome, LoadTask } from "./protocol.js";
import { mark } from "./task-marks.js";

interface PoolWarmth {
  /** Threads the pool should have. */
  size: number;
  /** Threads that started (Piscina's `workerCreate`) and have not exited, by thread id. */
  started: Set<number>;
  /** Started threads that have loaded the agents too: they may take steps. */
  usable: Set<number>;
  /** Called when a thread becomes usable. */
  listeners: Set<() => void>;
  /** Whether the pool grows (from the first run on) and grows back. */
  growing: boolean;
  /** Agents every new thread loads first, by name. */
  agents: Map<string, AgentSpec>;
  loadTimeoutMs: number;
  closing: boolean;
  /** The worker entry every task names. */
  filename: string;
}

/** Threads that may be starting at once: all cores but one, which the run keeps. */
const STARTING_AT_ONCE = Math.max(1, availableParallelism() - 1);

const pools = new WeakMap<Piscina, PoolWarmth>();

/** State for a pool about to be made with `size` threads; `attach` it once the pool exists. */
export function poolWarmth(size: number, filename: string): PoolWarmth {
  return {
    size, started: new Set(), usable: new Set(), listeners: new Set(), growing: false, agents: new Map(),
    loadTimeoutMs: 60_000, closing: false, filename,
  };
}

/** Follows `pool`'s threads as they start and exit; call right after making the pool. */
export function attach(pool: Piscina, warmth: PoolWarmth): void {
  pools.set(pool, warmth);
  pool.on("workerCreate", (worker: { id: number }) => {
    const id = worker.id;
    warmth.started.add(id);
    pool.threads.find((t) => t.threadId === id)?.once("exit", () => {
      warmth.started.delete(id);
      warmth.usable.delete(id);
      if (warmth.growing) growPool(pool);
    });
    warmUp(pool, warmth, id);
  });
}

/** How many threads of `pool` may take steps now, or undefined for a pool not made by createPool. */
export function usableThreads(pool: Piscina): number | undefined {
  return pools.get(pool)?.usable.size;
}

/** Calls `listener` whenever a thread of `pool` becomes usable; returns the function that stops it. */
export function onUsable(pool: Piscina, listener: () => void): () => void {
  const listeners = pools.get(pool)?.listeners;
  listeners?.add(listener);
  return () => listeners?.delete(listener);
}

/** The agents that passed preflight on `pool`: threads that start from now on load them first. */
export function rememberAgents(pool: Piscina, agents: readonly AgentSpec[], loadTimeoutMs: number): void {
  const warmth = pools.get(pool);
  if (warmth === undefined) return;
  for (const spec of agents) warmth.agents.set(spec.name, spec);
  warmth.loadTimeoutMs = loadTimeoutMs;
}

/**
 * Grows `pool` (one made by createPool) towards its size, from now on. Piscina starts a thread when a
 * task finds no idle one, so this hands it no-op tasks until enough threads are starting.
 */
export function growPool(pool: Piscina): void {
  const warmth = pools.get(pool);
  if (warmth === undefined || warmth.closing) return;
  warmth.growing = true;
  const target = Math.min(warmth.size, warmth.usable.size + STARTING_AT_ONCE);
  for (let k = 0; pool.threads.length < target && k < 2 * warmth.size; k++) {
    pool.run(NOTHING, { filename: warmth.filename }).catch(() => undefined);
  }
}

/** The pool is being destroyed: no more threads. */
export function stopGrowing(pool: Piscina): void {
  const warmth = pools.get(pool);
  if (warmth !== undefined) warmth.closing = true;
}

const NOTHING: LoadTask = { kind: "load", agents: [] };

function warmUp(pool: Piscina, warmth: PoolWarmth, threadId: number): void {
  const ready = (): void => {
    if (!warmth.started.has(threadId)) return;
    warmth.usable.add(threadId);
    for (const listener of warmth.listeners) listener();
    if (warmth.growing) growPool(pool);
  };
  if (warmth.agents.size === 0 || warmth.closing) return ready();
  const agents = [...warmth.agents.values()];
  const loading = new Int32Array(new SharedArrayBuffer(4));
  const task = mark<LoadTask>({ kind: "load", agents, loading }, { warmUpFor: threadId });
  // A warm-up that hangs is aborted, and Piscina terminates its thread.
  const signal = AbortSignal.timeout(warmth.loadTimeoutMs);
  const drop = (name: string | undefined): void => {
    if (name !== undefined && warmth.agents.get(name) === agents.find((a) => a.name === name)) warmth.agents.delete(name);
  };
  (pool.run(task, { filename: warmth.filename, signal }) as Promise<LoadOutcome>).then(
    (outcome) => {
      for (const failure of outcome.failures) drop(failure.name);
      ready();
    },
    // The thread died or hung importing agent `loading`: that agent is not warmed again.
    () => drop(agents[Atomics.load(loading, 0) - 1]?.name),
  );
}
