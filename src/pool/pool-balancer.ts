// Which thread of the orchestrator's own pool takes a task. Piscina's default offers work to
// threads that are still starting (a step would wait there for a whole thread start-up while a
// started thread idles); this one offers it only to started, idle threads, and a thread's warm-up
// (./warm-up.ts) only to that thread, so that a new thread loads its agents before any step.
import type { Piscina, PiscinaTask } from "piscina";

type Balancer = NonNullable<NonNullable<ConstructorParameters<typeof Piscina>[0]>["loadBalancer"]>;

/**
 * `started`: the threads that have started (Piscina's `workerCreate`) and not exited.
 * `warmUpFor`: the thread a task is the warm-up of, or undefined for any other task.
 */
export function startedThreadsBalancer(started: ReadonlySet<number>, warmUpFor: (task: PiscinaTask) => number | undefined): Balancer {
  return (task, workers) => {
    const target = warmUpFor(task);
    // A warm-up whose thread died meanwhile is an ordinary load: any thread may take it.
    const only = target !== undefined && started.has(target) ? target : undefined;
    for (const worker of workers) {
      if (worker.currentUsage !== 0 || !started.has(worker.id)) continue;
      if (only === undefined || worker.id === only) return worker;
    }
    return null;
  };
}
