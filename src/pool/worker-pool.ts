// The Piscina pool a orchestrator runs on, and the path of the worker entry every task names.
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import type { Piscina } from "piscina";
import { lazyRequire } from "../lazy-require.js";
import { STACKED_PER_THREAD, startedThreadsBalancer } from "./pool-balancer.js";
import { WarmUpFirstQueue } from "./pool-queue.js";
import { markOf } from "./task-marks.js";
import { attach, poolWarmth, stopGrowing } from "./warm-up.js";

/**
 * The compiled worker entry (dist/workers/entry.cjs, which imports dist/workers/step.js), passed as
 * `filename` with every task. CommonJS, so that Piscina's require() never links an ES module graph
 * on a thread that may be terminated meanwhile (see workers/entry.cts). A path, not a file: URL:
 * Piscina converts a URL back to a path on every run() call.
 */
export const WORKER_FILENAME = fileURLToPath(new URL("../../workers/entry.cjs", import.meta.url));

export interface PoolOptions {
  /** Worker threads. @default os.availableParallelism() */
  threads?: number;
  /** V8 heap limits of each worker (`maxOldGenerationSizeMb`...), as node:worker_threads takes them. */
  resourceLimits?: { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb?: number; codeRangeSizeMb?: number; stackSizeMb?: number };
}

/**
 * A pool of `threads` threads. As many as there are cores start at once; the rest start once a run
 * dispatches, a few at a time (./warm-up.ts), so that a run's first step does not wait for threads
 * that compete for the same cores. Threads never idle out, a thread that exits is replaced, and each
 * new thread loads the pool's agents before it takes a step.
 */
export function createPool(options: PoolOptions = {}): Piscina {
  const threads = options.threads ?? availableParallelism();
  const { Piscina: Pool } = lazyRequire<typeof import("piscina")>("piscina");
  const warmth = poolWarmth(threads, WORKER_FILENAME);
  const pool = new Pool({
    filename: WORKER_FILENAME,
    minThreads: Math.min(threads, availableParallelism()),
    maxThreads: threads,
    idleTimeout: Infinity,
    // A thread runs one task at a time (workers/step.ts); tiny steps may wait on it (./pool-balancer.ts).
    concurrentTasksPerWorker: 1 + STACKED_PER_THREAD,
    // First in, first out, always: a run queues steps ahead in the pool in the order threads must
    // take them (src/schedule/queue-ahead.ts). By default Piscina moves a task it could not hand to
    // a busy pool to the back of its queue.
    stricterFIFO: true,
    taskQueue: new WarmUpFirstQueue((task) => markOf(task)?.warmUpFor !== undefined),
    loadBalancer: startedThreadsBalancer(warmth.started),
    // Piscina's wait and run time histograms cost every task; nothing here reads them.
    recordTiming: false,
    ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
  });
  attach(pool, warmth);
  // Every thread the pool started, until it exits ('workerCreate' comes before any task runs on it).
  const started = new Set<Worker>();
  pool.on("workerCreate", () => {
    for (const thread of pool.threads) {
      if (started.has(thread)) continue;
      started.add(thread);
      thread.once("exit", () => started.delete(thread));
    }
  });
  unexited.set(pool, started);
  return pool;
}

const unexited = new WeakMap<Piscina, Set<Worker>>();

/** How long `destroyPool` waits for terminated threads to exit. */
const EXIT_WAIT_MS = 5_000;

/**
 * Destroys a pool made by `createPool`, leaving no thread behind. Piscina replaces a thread it
 * terminated (a timeout, a cancel) when that thread's 'exit' arrives; arriving after `destroy()`,
 * it would start a thread on the destroyed pool that nobody ends (piscinajs/piscina#788). So the
 * threads it already let go of are waited for first.
 */
export async function destroyPool(pool: Piscina): Promise<void> {
  stopGrowing(pool);
  const live = new Set(pool.threads);
  // Not events.once: it rejects on an 'error' first (a thread that ran out of memory), and every
  // thread that errors still exits.
  const exited = (thread: Worker) => new Promise((resolve) => thread.once("exit", resolve));
  const leaving = [...(unexited.get(pool) ?? [])].filter((thread) => !live.has(thread)).map(exited);
  // A thread stuck in a native call that never returns must not hold close() forever.
  let timer: NodeJS.Timeout | undefined;
  const linger = new Promise((resolve) => (timer = setTimeout(resolve, EXIT_WAIT_MS)));
  await Promise.race([Promise.all(leaving), linger]);
  clearTimeout(timer);
  await pool.destroy();
}

const guarded = new WeakSet<Piscina>();

/**
 * Listens for the pool's `'error'` events (once per pool). Piscina emits one when a worker errors
 * with no task of its own: a thread that runs out of memory while it is being terminated for a
 * timeout, a cancel or `close()`. Unheard, Node would turn it into an uncaught exception that kills
 * the host process; the attempt it belonged to has already ended with its own status.
 */
export function guardPool(pool: Piscina, report: (message: string, error: unknown) => void): void {
  if (guarded.has(pool)) return;
  guarded.add(pool);
  pool.on("error", (error: unknown) => {
    report(`a worker thread failed outside any step (${(error as Error)?.message ?? String(error)}); the pool replaced it`, error);
  });
}
