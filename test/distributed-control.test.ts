// Stopping a distributed run from its coordinator, and what it leaves: a cancel that stops a remote
// busy loop (or a step no worker took yet), and a Redis that keeps nothing of a run once it is over,
// however it ended. Real Redis, real `wavepool worker` processes.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { watch } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Redis } from "ioredis";
import { ParallelOrchestrator, ParallelOrchestratorConfig, type StrategyMap } from "wavepool";
import { callSender } from "../src/distributed/call-stream.js";
import { agent, strategyOf } from "./helpers.js";
import { leftovers, NOTHING } from "./fixtures/redis-keys.js";
import { redisMissing, type WorkerProcess } from "./fixtures/redis-server.js";
import { redisSuite } from "./fixtures/redis-suite.js";

const missing = redisMissing();
const dir = mkdtempSync(join(tmpdir(), "wavepool-control-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The first line of file `path` (in `dir`), once it is written (fs.watch: no polling). */
async function firstLine(path: string): Promise<string> {
  const read = (): string | undefined => (existsSync(path) ? readFileSync(path, "utf8").split("\n").find(Boolean) : undefined);
  const stop = new AbortController();
  const watching = watch(dir, { signal: stop.signal })[Symbol.asyncIterator]();
  // Watching from now on (the first next() starts the watcher), then reading: no write is missed.
  let changed = watching.next();
  try {
    for (let line = read(); line === undefined; line = read()) {
      await changed;
      changed = watching.next();
    }
    return read()!;
  } finally {
    stop.abort();
    changed.catch(() => undefined);
  }
}

describe("distributed runs: cancel, and nothing left in Redis", { skip: missing }, () => {
  const redis = redisSuite();

  const workerOn = (queue: string, args?: string[]): Promise<WorkerProcess> => redis.workerOn(queue, args);

  function remote(strategy: StrategyMap, queue: string, config = new ParallelOrchestratorConfig()): ParallelOrchestrator {
    return new ParallelOrchestrator(strategy, redis.onQueue(queue, config));
  }

  test("a cancel stops a remote busy loop; the run ends cancelled and the worker serves the next run's step", async (t) => {
    const queue = `cancel-${randomUUID().slice(0, 8)}`;
    const worker = await workerOn(queue);
    const strategy = strategyOf(["spin", "Spin", "spin"], ["later", "Sleep", "sleep 1 {{ spin_out }}"]);
    const o = remote(strategy, queue).addAgent("Spin", agent("spin-after-progress")).addAgent("Sleep", agent("sleep"));
    t.after(() => o.close());
    const stop = new AbortController();
    let abortedAt = 0;
    const result = await o.execute("go", {
      signal: stop.signal,
      onEvent: (event) => {
        if (event.type === "step:progress" && event.stepId === "spin") {
          abortedAt = performance.now();
          stop.abort();
        }
      },
    });
    const elapsed = performance.now() - abortedAt;
    t.diagnostic(`from abort to the run's end: ${elapsed.toFixed(0)} ms`);
    assert.ok(abortedAt > 0, "the busy loop reported that it started");
    assert.equal(result.cancelled, true);
    const [spin, later] = result.steps;
    assert.equal(spin!.status, "cancelled");
    assert.equal(spin!.error?.code, "WAVEPOOL_RUN_CANCELLED");
    assert.ok(spin!.worker!.endsWith(`:${worker.pid}`));
    assert.equal(later!.status, "cancelled");
    assert.deepEqual(await leftovers(redis.url, queue, [result.runId]), NOTHING);

    // The worker's only thread was freed: the next run's step runs there.
    const next = remote(strategyOf(["nap", "Sleep", "sleep 1"]), queue).addAgent("Sleep", agent("sleep"));
    t.after(() => next.close());
    const again = await next.execute("go");
    assert.equal(again.steps[0]!.status, "completed");
    assert.equal(again.steps[0]!.worker, spin!.worker);
    assert.deepEqual(await leftovers(redis.url, queue, [again.runId]), NOTHING);
  });

  test("a cancel before any worker took the step: the step never runs, and a worker that comes later serves the next run", async (t) => {
    const queue = `early-${randomUUID().slice(0, 8)}`;
    const ran = join(dir, `${queue}.ran`);
    const strategy = strategyOf(["mark", "PidMark", "mark"]);
    const o = remote(strategy, queue).addAgent("PidMark", { module: agent("pid-mark"), options: { ran, ms: 1 } });
    t.after(() => o.close());
    const stop = new AbortController();
    // No worker on the queue yet: the step is enqueued, and cancelled as soon as it is.
    const result = await o.execute("go", {
      signal: stop.signal,
      onEvent: (event) => {
        if (event.type === "step:start") stop.abort();
      },
    });
    assert.equal(result.cancelled, true);
    assert.equal(result.steps[0]!.status, "cancelled");
    assert.deepEqual(await leftovers(redis.url, queue, [result.runId]), NOTHING);
    const worker = await workerOn(queue);
    const next = remote(strategyOf(["nap", "Sleep", "sleep 1"]), queue).addAgent("Sleep", agent("sleep"));
    t.after(() => next.close());
    const again = await next.execute("go");
    assert.equal(again.steps[0]!.status, "completed");
    assert.ok(again.steps[0]!.worker!.endsWith(`:${worker.pid}`));
    assert.equal(existsSync(ran), false, "the cancelled step never ran");
    assert.deepEqual(await leftovers(redis.url, queue, [result.runId, again.runId]), NOTHING);
  });

  test("nothing of a run is left in Redis after completed, failed and timed-out steps", async (t) => {
    const queue = `ends-${randomUUID().slice(0, 8)}`;
    await workerOn(queue, ["--threads", "2"]);
    const strategy = strategyOf(
      ["ok", "Sleep", "sleep 1"],
      ["uses", "Sleep", "sleep 1 {{ ok_out }}"],
      ["fails", "Fail", "x"],
      ["spins", "Spin", "spin", "spins_out", { timeoutMs: 300 }],
    );
    const o = remote(strategy, queue).addAgent("Sleep", agent("sleep")).addAgent("Fail", agent("fail")).addAgent("Spin", agent("busy-loop"));
    t.after(() => o.close());
    const result = await o.execute("go");
    assert.deepEqual(result.steps.map((s) => s.status), ["completed", "completed", "failed", "timed_out"]);
    assert.deepEqual(await leftovers(redis.url, queue, [result.runId]), NOTHING);
  });

  test("nothing of a run is left in Redis after a step whose worker was killed ran again on another", async (t) => {
    const queue = `killed-${randomUUID().slice(0, 8)}`;
    const fast = ["--lock", "1500ms", "--stalled-interval", "500ms"];
    const pair = [await workerOn(queue, fast), await workerOn(queue, fast)];
    const ran = join(dir, `${queue}.ran`);
    const o = remote(strategyOf(["slow", "PidMark", "slow"]), queue).addAgent("PidMark", { module: agent("pid-mark"), options: { ran, ms: 1500 } });
    t.after(() => o.close());
    const running = o.execute("go");
    const victim = Number((await firstLine(ran)).split(" ")[1]);
    await pair.find((w) => w.pid === victim)!.stop("SIGKILL");
    const result = await running;
    const slow = result.steps[0]!;
    assert.equal(slow.status, "completed", JSON.stringify(slow.error));
    assert.equal(slow.attempts, 2);
    assert.equal(slow.history[0]!.error?.code, "WAVEPOOL_WORKER_CRASHED");
    assert.deepEqual(await leftovers(redis.url, queue, [result.runId]), NOTHING);
  });

  test("nothing of a run is left in Redis when its coordinator closes while a remote step runs", async (t) => {
    const queue = `close-${randomUUID().slice(0, 8)}`;
    await workerOn(queue);
    const strategy = strategyOf(["ok", "Sleep", "sleep 1"], ["spin", "Spin", "spin {{ ok_out }}"], ["later", "Sleep", "sleep 1 {{ spin_out }}"]);
    const o = remote(strategy, queue).addAgent("Spin", agent("spin-after-progress")).addAgent("Sleep", agent("sleep"));
    t.after(() => o.close());
    let closing: Promise<void> | undefined;
    const result = await o.execute("go", {
      onEvent: (event) => {
        if (event.type === "step:progress" && event.stepId === "spin") closing = o.close();
      },
    });
    await closing;
    assert.equal(result.cancelled, true);
    assert.deepEqual(result.steps.map((s) => s.status), ["completed", "cancelled", "cancelled"]);
    assert.deepEqual(await leftovers(redis.url, queue, [result.runId]), NOTHING);
  });

  test("calls a worker writes after its run deleted the calls stream still expire", async (t) => {
    const key = `wavepool:late-${randomUUID().slice(0, 8)}:calls:run`;
    const writer = new Redis(redis.url);
    t.after(() => writer.disconnect());
    const sender = callSender(writer, key, "job-1", 60_000, () => undefined);
    sender.send(["progress", 1, 0, "before"]);
    await sender.flushed();
    // The run ended (its worker had been stopped, SIGSTOP) and its coordinator deleted the stream...
    await writer.del(key);
    // ...then the worker went on with the step.
    sender.send(["progress", 1, 0.5, "after"]);
    sender.send(["progress", 1, 1, "done"]);
    await sender.flushed();
    assert.equal(await writer.xlen(key), 2);
    const ttl = await writer.pttl(key);
    assert.ok(ttl > 0 && ttl <= 60_000, `the stream expires (pttl ${ttl})`);
  });
});
