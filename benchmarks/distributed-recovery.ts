// Recovery after a worker is killed (`kill -9`) while it runs a step, with a second worker up: the
// time from the kill to the step's next attempt being enqueued (the lock expired and a live
// worker's stalled check saw it), and to the step's completion on the other worker, for several
// lock durations and stalled intervals. Part of ./distributed-scale.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ParallelOrchestrator, ParallelOrchestratorConfig, StrategyMap, StrategyStep } from "wavepool";
import { redisBackend } from "wavepool/distributed";
import { startWorker, type RedisServer, type WorkerProcess } from "../test/fixtures/redis-server.js";
import { linesOf } from "../test/fixtures/redis-variants.js";
import type { BenchOptions } from "./bench-options.js";
import { fixed, type Table } from "./report.js";
import { median } from "./stats.js";

/** Writes "<step> <pid>" when it starts, then waits this long (no CPU). */
const PID_MARK = new URL("../test/fixtures/agents/pid-mark.js", import.meta.url);
const STEP_MS = 500;
/** [lock duration, stalled interval] in ms. */
const SETTINGS: [number, number][] = [[1_000, 500], [2_000, 1_000], [4_000, 2_000]];

interface Sample { requeued: number; completed: number }

export async function recoveryTable(redis: RedisServer, options: BenchOptions): Promise<Table> {
  const rounds = options.rounds(3, 1);
  const settings = options.quick ? SETTINGS.slice(0, 2) : SETTINGS;
  const dir = mkdtempSync(join(tmpdir(), "wavepool-recovery-"));
  const pairs = new Map<number, WorkerProcess[]>();
  try {
    for (const [lock, stalled] of settings) {
      const queue = `recover-${lock}`;
      const args = ["--lock", `${lock}ms`, "--stalled-interval", `${stalled}ms`];
      pairs.set(lock, await Promise.all([startWorker(redis.url, queue, args), startWorker(redis.url, queue, args)]));
    }
    const samples = new Map<number, Sample[]>(settings.map(([lock]) => [lock, []]));
    // Rounds interleave the settings, so that drift in the machine's load hits all alike.
    for (let r = 0; r < rounds; r++) {
      for (const [lock, stalled] of settings) {
        const pair = pairs.get(lock)!;
        const { sample, victim } = await killOnce(redis, `recover-${lock}`, pair, join(dir, `${lock}-${r}.ran`));
        samples.get(lock)!.push(sample);
        // The killed worker is replaced: two are up for the next round.
        pair.splice(pair.indexOf(victim), 1, await startWorker(redis.url, `recover-${lock}`, ["--lock", `${lock}ms`, "--stalled-interval", `${stalled}ms`]));
      }
    }
    return {
      title: `Recovery after kill -9 of the worker running a step (ms from the kill, median of ${rounds}; a second worker up, one thread each)`,
      columns: [
        { key: "lock", label: "--lock", align: "right" },
        { key: "stalled", label: "--stalled-interval", align: "right" },
        { key: "requeued", label: "to the next attempt enqueued", align: "right" },
        { key: "completed", label: `to the step completed (its run ${STEP_MS} ms)`, align: "right" },
        { key: "over", label: "completed − step", align: "right" },
        { key: "bound", label: "lock + interval", align: "right" },
      ],
      rows: settings.map(([lock, stalled]) => {
        const s = samples.get(lock)!;
        const completed = median(s.map((x) => x.completed));
        return {
          lock: `${lock}`, stalled: `${stalled}`, requeued: fixed(median(s.map((x) => x.requeued)), 0), completed: fixed(completed, 0),
          over: fixed(completed - STEP_MS, 0), bound: `${lock + stalled}`,
        };
      }),
      notes: [
        "A killed worker's lock is not renewed; it expires at most one lock duration after the kill, and a live worker's stalled check (every interval) then fails the job, which the coordinator hears and enqueues the step's next attempt: so the wait is between the lock duration and lock + interval, plus the round trips.",
        "Shorter settings recover faster but renew locks (every lock/2) and check more often: more Redis traffic, and a worker whose event loop is blocked longer than the lock would lose its steps. The defaults are 30 s each.",
      ],
    };
  } finally {
    await Promise.all([...pairs.values()].flat().map((w) => w.stop("SIGKILL")));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One run of one long step; its worker is killed as soon as the step started. */
async function killOnce(redis: RedisServer, queue: string, pair: WorkerProcess[], ran: string): Promise<{ sample: Sample; victim: WorkerProcess }> {
  const strategy = new StrategyMap("one long step");
  strategy.addStep(new StrategyStep("long", "", "PidMark", "long", "long_out"));
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withBackend(redisBackend({ connection: redis.url, queue })))
    .addAgent("PidMark", { module: PID_MARK, options: { ran, ms: STEP_MS } });
  try {
    let requeuedAt = NaN;
    let completedAt = NaN;
    const running = o.execute("bench", {
      onEvent: (event) => {
        if (event.type === "step:start" && event.attempt === 2) requeuedAt = performance.now();
        if (event.type === "step:end" && event.attempt === 2) completedAt = performance.now();
      },
    });
    const [line] = await linesOf(ran, 1);
    const victim = pair.find((w) => w.pid === Number(line!.split(" ")[1]))!;
    const killedAt = performance.now();
    await victim.stop("SIGKILL");
    const result = await running;
    const step = result.steps[0]!;
    if (step.status !== "completed" || step.attempts !== 2) throw new Error(`the killed step ended ${step.status} after ${step.attempts} attempts: ${step.error?.message}`);
    return { sample: { requeued: requeuedAt - killedAt, completed: completedAt - killedAt }, victim };
  } finally {
    await o.close();
  }
}
