// Controlling a distributed run from its coordinator, as a local run is controlled: approvals asked
// by remote agents (answered by onApproval, or a pause with its request, saved, and a resume with
// approvals), a cancel that stops a remote busy loop, and a Redis that keeps nothing of a run once it
// is over, however it ended. Real Redis, real `wavepool worker` processes.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { watch } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ParallelOrchestrator, ParallelOrchestratorConfig, type ApprovalRequestEvent, type StrategyMap } from "wavepool";
import { redisBackend } from "wavepool/distributed";
import { Redis } from "ioredis";
import { callSender } from "../src/distributed/call-stream.js";
import { readStateFile } from "../src/run/state-file.js";
import { agent, strategyOf } from "./helpers.js";
import { leftovers, type Leftovers } from "./fixtures/redis-keys.js";
import { redisMissing, startRedis, startWorker, type RedisServer, type WorkerProcess } from "./fixtures/redis-server.js";

const missing = redisMissing();
const dir = mkdtempSync(join(tmpdir(), "wavepool-control-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const NOTHING: Leftovers = { keys: [], jobs: {} };

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

/** pre -> a (asks) -> after_a; b (asks); independent: the approval strategy of approval.test.ts, with typed payloads. */
function approvalStrategy(): StrategyMap {
  return strategyOf(
    ["pre", "Sleep", "sleep 5 {{ task }}", "prepared"],
    ["a", "Ask", "{{ prepared }} branch a"],
    ["b", "Ask", "branch b"],
    ["after_a", "Sleep", "sleep 1 {{ a_out.decision.note }}"],
    ["independent", "Sleep", "sleep 20 no approval needed"],
  );
}

describe("distributed runs: approval, cancel, and nothing left in Redis", { skip: missing }, () => {
  let redis: RedisServer;
  const workers: WorkerProcess[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop("SIGKILL")));
    await redis?.stop();
  });

  async function workerOn(queue: string, args: string[] = []): Promise<WorkerProcess> {
    const worker = await startWorker(redis.url, queue, args);
    workers.push(worker);
    return worker;
  }

  function remote(strategy: StrategyMap, queue: string, config = new ParallelOrchestratorConfig()): ParallelOrchestrator {
    return new ParallelOrchestrator(strategy, config.withBackend(redisBackend({ connection: redis.url, queue })));
  }

  function withApprovalAgents(o: ParallelOrchestrator): ParallelOrchestrator {
    return o.addAgent("Sleep", agent("sleep")).addAgent("Ask", agent("ask-typed"));
  }

  test("onApproval answers a remote agent's request (typed payload), approve and reject, as in a local run", async (t) => {
    const queue = `approve-${randomUUID().slice(0, 8)}`;
    await workerOn(queue, ["--threads", "2"]);
    const local = withApprovalAgents(new ParallelOrchestrator(approvalStrategy(), { threads: 2 }));
    t.after(() => local.close());
    const o = withApprovalAgents(remote(approvalStrategy(), queue));
    t.after(() => o.close());
    const asked: ApprovalRequestEvent[] = [];
    const onApproval = async (request: ApprovalRequestEvent) => {
      asked.push(request);
      return request.stepId === "a" ? { approved: true, note: "looks good" } : { approved: false, note: "not this one" };
    };
    const expected = await local.execute("go", { onApproval });
    asked.length = 0;
    const result = await o.execute("go", { onApproval });
    assert.equal(result.success, true, JSON.stringify(result.steps.map((s) => s.error)));
    assert.deepEqual(result.context, expected.context);
    assert.deepEqual(result.context.get("a_out"), { stepId: "a", decision: { approved: true, note: "looks good" } });
    assert.deepEqual(result.context.get("b_out"), { stepId: "b", decision: { approved: false, note: "not this one" } });
    const a = asked.find((r) => r.stepId === "a")!;
    assert.equal(a.agent, "Ask");
    assert.equal(a.runId, result.runId);
    assert.equal(a.message, "Publish a?");
    const payload = a.payload as { draft: string; when: Date; table: Map<string, bigint>; bytes: Uint8Array };
    assert.equal(payload.draft, "sleep 5 go branch a");
    assert.ok(payload.when instanceof Date && payload.when.getTime() === 0);
    assert.ok(payload.table instanceof Map && payload.table.get("big") === 2n ** 70n);
    assert.ok(payload.bytes instanceof Uint8Array);
    assert.deepEqual([...payload.bytes], [1, 2, 3]);
    assert.deepEqual(asked.map((r) => r.stepId).sort(), ["a", "b"]);
    assert.deepEqual(await leftovers(redis.url, queue, [result.runId]), NOTHING);
  });

  test("without onApproval remote steps pause with their requests, independent work drains, and a resume with approvals ends as locally", async (t) => {
    const queue = `pause-${randomUUID().slice(0, 8)}`;
    await workerOn(queue, ["--threads", "2"]);
    const local = withApprovalAgents(new ParallelOrchestrator(approvalStrategy(), { threads: 2 }));
    t.after(() => local.close());
    const o = withApprovalAgents(remote(approvalStrategy(), queue));
    t.after(() => o.close());
    const localState = join(dir, `${queue}-local.state`);
    const remoteState = join(dir, `${queue}-remote.state`);
    const expected = await local.execute("go", { saveStateTo: localState });
    const paused = await o.execute("go", { saveStateTo: remoteState });

    assert.equal(paused.paused, true);
    assert.equal(paused.success, false);
    const byId = (list: { stepId: string }[]) => [...list].sort((x, y) => x.stepId.localeCompare(y.stepId));
    assert.deepEqual(byId(paused.pendingApprovals), byId(expected.pendingApprovals));
    const pendingA = paused.pendingApprovals.find((p) => p.stepId === "a")!;
    assert.equal(pendingA.message, "Publish a?");
    assert.ok((pendingA.payload as { table: Map<string, bigint> }).table.get("big") === 2n ** 70n);
    assert.equal(paused.pauseReason, expected.pauseReason);
    const statuses = (r: typeof paused) => Object.fromEntries(r.steps.map((s) => [s.stepId, s.status]));
    assert.deepEqual(statuses(paused), { pre: "completed", a: "paused", b: "paused", after_a: "pending", independent: "completed" });
    assert.deepEqual(statuses(paused), statuses(expected));
    const saved = await readStateFile(remoteState);
    assert.deepEqual(byId(saved.pendingApprovals), byId(paused.pendingApprovals));
    assert.deepEqual(await leftovers(redis.url, queue, [paused.runId]), NOTHING);

    const approvals = { a: { approved: true, note: "looks good" }, b: { approved: false, note: "not this one" } };
    const resumedLocal = await local.execute("go", { resumeFrom: localState, approvals });
    const resumed = await o.execute("go", { resumeFrom: remoteState, saveStateTo: remoteState, approvals });
    assert.deepEqual(statuses(resumed), { pre: "completed", a: "completed", b: "failed", after_a: "completed", independent: "completed" });
    assert.deepEqual(statuses(resumed), statuses(resumedLocal));
    assert.deepEqual(resumed.context, resumedLocal.context);
    const b = resumed.steps.find((s) => s.stepId === "b")!;
    assert.equal(b.error?.name, "ApprovalRejectedError");
    assert.match(b.error!.message, /rejected by its approver: not this one/);
    assert.deepEqual(resumed.context.get("a_out"), { stepId: "a", decision: { approved: true, note: "looks good" } });
    assert.equal(resumed.context.get("after_a_out"), "sleep 1 looks good");
    assert.deepEqual(await leftovers(redis.url, queue, [resumed.runId]), NOTHING);
  });

  test("an onApproval that throws fails the remote step as it fails a local one", async (t) => {
    const queue = `throws-${randomUUID().slice(0, 8)}`;
    await workerOn(queue);
    const strategy = strategyOf(["ask", "Ask", "x"]);
    const local = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Ask", agent("ask-typed"));
    t.after(() => local.close());
    const o = remote(strategy, queue).addAgent("Ask", agent("ask-typed"));
    t.after(() => o.close());
    // A malformed answer: the run's approval desk rejects it with a TypeError saying what to return.
    const onApproval = () => ({ approved: "yes" }) as unknown as { approved: boolean };
    const expected = (await local.execute("go", { onApproval })).steps[0]!;
    const step = (await o.execute("go", { onApproval })).steps[0]!;
    assert.equal(step.status, "failed");
    assert.equal(step.status, expected.status);
    assert.equal(step.error?.code, expected.error?.code);
    assert.match(step.error!.message, /onApproval must return \{ approved: boolean, note\?: string \}/);
    assert.equal(step.error!.message, expected.error!.message);
  });

  test("a cancel reaches a remote agent that waits for its approval; the worker lets go of the wait and serves the next run", async (t) => {
    const queue = `waiting-${randomUUID().slice(0, 8)}`;
    const worker = await workerOn(queue);
    const o = remote(strategyOf(["ask", "Ask", "x"]), queue).addAgent("Ask", agent("ask-typed"));
    t.after(() => o.close());
    const stop = new AbortController();
    // Nobody answers: the request is cancelled with its run.
    const result = await o.execute("go", {
      signal: stop.signal,
      onApproval: () => {
        stop.abort();
        return new Promise(() => undefined);
      },
    });
    assert.equal(result.cancelled, true);
    assert.equal(result.steps[0]!.status, "cancelled");
    assert.deepEqual(await leftovers(redis.url, queue, [result.runId]), NOTHING);
    // The worker's wait for the answer (a BLPOP on a connection of its own) ended with the step.
    const admin = new Redis(redis.url);
    t.after(() => admin.disconnect());
    assert.doesNotMatch(String(await admin.client("LIST")), /cmd=blpop/);
    const next = remote(strategyOf(["nap", "Sleep", "sleep 1"]), queue).addAgent("Sleep", agent("sleep"));
    t.after(() => next.close());
    const again = await next.execute("go");
    assert.equal(again.steps[0]!.status, "completed");
    assert.ok(again.steps[0]!.worker!.endsWith(`:${worker.pid}`));
  });

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
