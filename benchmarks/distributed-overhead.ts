// Per-step overhead of a distributed run (BullMQ on a local redis-server, one `wavepool worker`
// process) against a local run: a chain of no-op steps (each waits for the one before: latency) and
// independent no-op steps (throughput), same threads, interleaved rounds. Needs redis-server.
// Then a worker's jobs/s before and after it kept agent modules' hashes (a worker of a baseline
// build, given as WAVEPOOL_BASELINE_CLI, against this build's), for a small module and a 4 MB one.
// Run: npm run build && node dist/benchmarks/distributed-overhead.js
// Baseline: git archive <commit> | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/ && (cd /tmp/base && npx tsc -p .)
//   WAVEPOOL_BASELINE_CLI=/tmp/base/dist/src/cli/main.js node dist/benchmarks/distributed-overhead.js
import { rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ParallelOrchestrator, ParallelOrchestratorConfig, StrategyMap, StrategyStep } from "wavepool";
import { redisBackend } from "wavepool/distributed";
import { redisMissing, startRedis, startWorker } from "../test/fixtures/redis-server.js";
import { fixed, isMain, printTables, type Table } from "./report.js";
import { interleave, median } from "./stats.js";

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

const HASH_ROUNDS = 5;
const HASH_STEPS = 300;

/** Jobs/s of a worker of the baseline build (WAVEPOOL_BASELINE_CLI) and of this build, interleaved rounds. */
export async function moduleHashing(): Promise<Table[]> {
  const title = "Worker jobs/s before and after agent module hashes are kept (independent no-op steps)";
  const baseline = process.env.WAVEPOOL_BASELINE_CLI;
  const missing = redisMissing();
  if (missing !== undefined) return [{ title, columns: [], rows: [], skipped: missing }];
  if (baseline === undefined) return [{ title, columns: [], rows: [], skipped: "set WAVEPOOL_BASELINE_CLI to the dist/src/cli/main.js of a build before the change (see the head of this file)" }];
  const here = fileURLToPath(new URL(".", import.meta.url));
  // A bundled agent (its SDKs inlined) is megabytes: what a worker read and hashed for every job.
  const big = new URL(`./agents/noop-4mb-${process.pid}.js`, import.meta.url);
  writeFileSync(big, `import { defineAgent } from "wavepool/agent";\n// ${"x".repeat(4 * 1024 * 1024)}\nexport default defineAgent({ name: "Noop", execute: () => null });\n`);
  const redis = await startRedis();
  const args = ["--threads", String(THREADS), "--allow", here];
  const workers = [await startWorker(redis.url, "before", args, baseline), await startWorker(redis.url, "after", args)];
  try {
    const rows = [];
    for (const [name, module] of [["no-op module (0.2 kB)", NOOP_AGENT], ["no-op module with 4 MB of comment", big]] as const) {
      const config = new ParallelOrchestratorConfig().withThreads(THREADS).withMaxConcurrentTasks(2 * THREADS);
      const on = (queue: string): ParallelOrchestrator => new ParallelOrchestrator(independent(HASH_STEPS), config.withBackend(redisBackend({ connection: redis.url, queue }))).addAgent("Noop", module);
      const before = on("before");
      const after = on("after");
      await timed(before);
      await timed(after);
      const times = await interleave(HASH_ROUNDS, { before: () => timed(before), after: () => timed(after) });
      await Promise.all([before.close(), after.close()]);
      const perSecond = (ms: number): number => HASH_STEPS / (ms / 1000);
      const ratios = times.after.map((ms, r) => perSecond(ms) / perSecond(times.before[r]!));
      rows.push({
        module: name, before: fixed(perSecond(median(times.before)), 0), after: fixed(perSecond(median(times.after)), 0),
        ratio: fixed(median(ratios), 2), range: `${fixed(Math.min(...ratios), 2)}-${fixed(Math.max(...ratios), 2)}`,
      });
    }
    return [{
      title: `${title} (${HASH_STEPS} steps a run, median of ${HASH_ROUNDS} interleaved rounds; one worker of ${THREADS} threads each, concurrency ${2 * THREADS})`,
      columns: [
        { key: "module", label: "agent module", align: "left" }, { key: "before", label: "before (jobs/s)" }, { key: "after", label: "after (jobs/s)" },
        { key: "ratio", label: "after/before" }, { key: "range", label: "ratio range" },
      ],
      rows,
      notes: [
        `before: the worker of ${baseline}, which reads and hashes the module for every job; after: this build's, which reads it once and stats it per job.`,
        "after/before is the median of the rounds' ratios (each round runs both, in turn); the coordinator is this build's for both.",
      ],
    }];
  } finally {
    await Promise.all(workers.map((w) => w.stop("SIGTERM")));
    await redis.stop();
    rmSync(big, { force: true });
  }
}

if (isMain(import.meta.url)) printTables([...(await distributedOverhead()), ...(await moduleHashing())]);
