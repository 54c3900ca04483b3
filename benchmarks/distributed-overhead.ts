// Per-step overhead of a distributed run (BullMQ on a local redis-server, one `wavepool worker`
// process) against a local run: a chain of no-op steps (each waits for the one before: latency) and
// independent no-op steps (throughput), same threads, interleaved rounds. Needs redis-server.
// Run: npm run build && node dist/benchmarks/distributed-overhead.js
import { fileURLToPath } from "node:url";
import { ParallelOrchestrator, ParallelOrchestratorConfig, StrategyMap, StrategyStep } from "wavepool";
import { redisBackend } from "wavepool/distributed";
import { redisMissing, startRedis, startWorker } from "../test/fixtures/redis-server.js";
import { fixed, isMain, printTables, type Table } from "./report.js";
import { median } from "./stats.js";

const NOOP_AGENT = new URL("./agents/noop.js", import.meta.url);
const THREADS = 2;
const ROUNDS = 3;

function chain(n: number): StrategyMap {
  const strategy = new StrategyMap(`a chain of ${n} no-op steps`);
  for (let i = 0; i < n; i++) strategy.addStep(new StrategyStep(`s${i}`, "", "Noop", i === 0 ? "x" : `{{ out${i - 1} }}`, `out${i}`));
  return strategy;
}

function independent(n: number): StrategyMap {
  const strategy = new StrategyMap(`${n} independent no-op steps`);
  for (let i = 0; i < n; i++) strategy.addStep(new StrategyStep(`s${i}`, "", "Noop", "x", `out${i}`));
  return strategy;
}

async function timed(o: ParallelOrchestrator): Promise<number> {
  const t0 = performance.now();
  const result = await o.execute("bench");
  if (result.steps.some((s) => s.status !== "completed")) throw new Error("a step did not complete");
  return performance.now() - t0;
}

export async function distributedOverhead(): Promise<Table[]> {
  const missing = redisMissing();
  if (missing !== undefined) return [{ title: "Distributed per-step overhead", columns: [], rows: [], skipped: missing }];
  const redis = await startRedis();
  const worker = await startWorker(redis.url, "bench", ["--threads", String(THREADS), "--allow", fileURLToPath(new URL(".", import.meta.url))]);
  try {
    const rows = [];
    for (const [shape, strategy, n] of [["chain", chain(100), 100], ["independent", independent(400), 400]] as const) {
      const config = new ParallelOrchestratorConfig().withThreads(THREADS).withMaxConcurrentTasks(2 * THREADS);
      const local = new ParallelOrchestrator(strategy, config).addAgent("Noop", NOOP_AGENT);
      const remote = new ParallelOrchestrator(strategy, config.withBackend(redisBackend({ connection: redis.url, queue: "bench" }))).addAgent("Noop", NOOP_AGENT);
      const times = { local: [] as number[], redis: [] as number[] };
      await timed(local);
      await timed(remote);
      for (let r = 0; r < ROUNDS; r++) {
        times.local.push(await timed(local));
        times.redis.push(await timed(remote));
      }
      await Promise.all([local.close(), remote.close()]);
      const l = median(times.local) / n;
      const d = median(times.redis) / n;
      rows.push({ shape: `${shape} (${n} steps)`, local: fixed(l, 3), redis: fixed(d, 3), ratio: fixed(d / l, 1) });
    }
    return [{
      title: `Distributed per-step overhead (ms per step, median of ${ROUNDS}; ${THREADS} threads, concurrency ${2 * THREADS}, one worker process, redis-server on 127.0.0.1)`,
      columns: [{ key: "shape", label: "strategy", align: "left" }, { key: "local", label: "local threads" }, { key: "redis", label: "BullMQ + Redis" }, { key: "ratio", label: "ratio" }],
      rows,
      notes: [
        "A step on Redis is a job added and taken, its output SET and read back, and its events read from a stream: several round trips between three processes (coordinator, worker, redis-server) that share the cores here.",
        "Worth it for steps that take far longer than that (model calls, CPU work of seconds), not for tiny steps.",
      ],
    }];
  } finally {
    await worker.stop("SIGTERM");
    await redis.stop();
  }
}

if (isMain(import.meta.url)) printTables(await distributedOverhead());
