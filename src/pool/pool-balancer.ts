// Which thread of the orchestrator's own pool takes a task. Piscina's default offers work to
// threads that are still starting (a step would wait there for a whole thread start-up while a
// started thread idles); this one offers work only to started threads: a task to an idle one, a
// thread's warm-up (./warm-up.ts) only to that thread, so that a new thread loads its agents before
// any step. A step marked stackable may also wait on a busy thread, behind stackable steps only.
import type { Piscina } from "piscina";
import { markOf } from "./task-marks.js";

type Balancer = NonNullable<NonNullable<ConstructorParameters<typeof Piscina>[0]>["loadBalancer"]>;

/**
 * How many stackable steps may wait on a thread behind the one it runs. A thread that finds its next
 * step waiting never sleeps between steps, and the main thread, handed several ends at once, wakes
 * once for them: with steps that take next to nothing, the pool's own cost per step is what remains,
 * and this cuts it by about a fifth. Only steps measured to take next to nothing are stacked, behind
 * such steps only, so that a stacked step waits a few of them at most.
 */
export const STACKED_PER_THREAD = 16;

/** `started`: the threads that have started (Piscina's `workerCreate`) and not exited. */
export function startedThreadsBalancer(started: ReadonlySet<number>): Balancer {
  // Per thread: how many tasks it was given, and the number of the last one that was not stackable.
  // A thread runs its tasks in order, so the ones it holds now are the last `currentUsage` given.
  const given = new Map<number, { count: number; lastSolid: number }>();
  const give = <W extends { id: number }>(worker: W, stackable: boolean): W => {
    let record = given.get(worker.id);
    if (record === undefined) given.set(worker.id, (record = { count: 0, lastSolid: -1 }));
    if (!stackable) record.lastSolid = record.count;
    record.count++;
    return worker;
  };
  return (task, workers) => {
    const mark = markOf(task);
    const target = mark?.warmUpFor;
    // A warm-up whose thread died meanwhile is an ordinary load: any thread may take it.
    const only = target !== undefined && started.has(target) ? target : undefined;
    const stackable = mark?.stackable === true;
    let behind: (typeof workers)[number] | null = null;
    for (const worker of workers) {
      if (!started.has(worker.id)) continue;
      const usage = worker.currentUsage;
      if (usage === 0) {
        if (only === undefined || worker.id === only) return give(worker, stackable);
        continue;
      }
      // Busy (Infinity while it runs a load, which Piscina can abort): behind stackable steps only.
      if (!stackable || usage > STACKED_PER_THREAD || (behind !== null && usage >= behind.currentUsage)) continue;
      const record = given.get(worker.id);
      if (record !== undefined && record.lastSolid < record.count - usage) behind = worker;
    }
    return behind === null ? null : give(behind, true);
  };
}
