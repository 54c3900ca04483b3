// A coordinator or a worker that stops in the middle of a distributed run, on a real Redis with real
// processes: a coordinator killed with -9 and resumed from its state file re-attaches to the jobs it
// left (queued, running, finished while nobody listened) and no step runs twice; a worker stopped with
// SIGTERM finishes what it can within its grace period and hands back the rest, then exits 0.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { ParallelOrchestrator, ParallelOrchestratorConfig, readStateFile, StateMismatchError, StrategyMap, StrategyStep } from "wavepool";
import { redisBackend, startStepWorker } from "wavepool/distributed";
import { cli } from "./cli-process.js";
import { agent, strategyOf } from "./helpers.js";
import { CRASH_STEPS, crashStrategy, gateAgent } from "./fixtures/crash-strategy.js";
import { redisMissing, type WorkerProcess } from "./fixtures/redis-server.js";
import { redisSuite } from "./fixtures/redis-suite.js";
import { assertHandedBack } from "./fixtures/handed-back.js";
import { linesOnce } from "./fixtures/file-lines.js";

const missing = redisMissing();
const dir = mkdtempSync(join(tmpdir(), "wavepool-crash-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const coordinator = fileURLToPath(new URL("./fixtures/crash-coordinator.js", import.meta.url));
const pauser = fileURLToPath(new URL("./fixtures/pause-coordinator.js", import.meta.url));

/** Resolves with the first match of `pattern` in what `stream` writes from now on. */
function seen(stream: Readable, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve) => {
    let text = "";
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      const found = pattern.exec(text);
      if (found === null) return;
      stream.off("data", onData);
      resolve(found);
    };
    stream.on("data", onData);
  });
}

/** The events of queue `queue` as they come, and a way to wait for enough of one kind. */
async function queueEvents(url: string, queue: string): Promise<{ count(events: string[], n: number): Promise<string[]>; close(): Promise<void> }> {
  const events = new QueueEvents(queue, { connection: { url } as never, prefix: "wavepool", lastEventId: "0-0" });
  const heard = new Map<string, string[]>();
  const waiters = new Set<() => void>();
  for (const name of ["waiting", "duplicated", "completed"] as const) {
    events.on(name, ({ jobId }: { jobId: string }) => {
      heard.set(name, [...(heard.get(name) ?? []), jobId]);
      for (const wake of [...waiters]) wake();
    });
  }
  await events.waitUntilReady();
  return {
    count: (names, n) => new Promise((resolve) => {
      const check = (): void => {
        const ids = names.flatMap((name) => heard.get(name) ?? []);
        if (ids.length < n) return;
        waiters.delete(check);
        resolve(ids);
      };
      waiters.add(check);
      check();
    }),
    close: () => events.close(),
  };
}

test("a resumed run keeps its saved run id, which a second resume of the same state at once does not take", async (t) => {
  const state = join(dir, "keeps-id.state");
  const o = new ParallelOrchestrator(strategyOf(["a", "Echo", "a"], ["b", "Fail", "b {{ a_out.intent }}"]), { threads: 1 })
    .addAgent("Echo", agent("echo")).addAgent("Fail", agent("fail"));
  t.after(() => o.close());
  const saved = await o.execute("go", { saveStateTo: state });
  assert.equal(saved.steps[1]!.status, "failed");
  // The state read once: both runs reach the choice of their id before either has started.
  const read = await readStateFile(state);
  const [one, two] = await Promise.all([o.execute("go", { resumeFrom: read }), o.execute("go", { resumeFrom: read })]);
  assert.deepEqual([one.runId, two.runId].filter((id) => id === saved.runId), [saved.runId], "exactly one of two runs at once has the saved id");
  assert.notEqual(one.runId, two.runId);
  assert.equal((await o.execute("go", { resumeFrom: state })).runId, saved.runId, "once they ended, a resume has it again");
});

describe("a coordinator or a worker that stops mid-run", { skip: missing }, () => {
  const redis = redisSuite();
  let client: Redis;
  const children: ChildProcess[] = [];
  before(() => {
    client = new Redis(redis.url);
  });
  after(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    client?.disconnect();
  });

  const workersOn = (queue: string, n: number, args?: string[]): Promise<WorkerProcess[]> => redis.workersOn(queue, n, args);

  function orchestrator(strategy: StrategyMap, queue: string, options: { ran: string; gates: string }): ParallelOrchestrator {
    const config = redis.onQueue(queue);
    return new ParallelOrchestrator(strategy, config).addAgent("Gate", { module: gateAgent, options });
  }

  /** A fresh folder of gates, with `open` opened. */
  function gatesWith(...open: string[]): string {
    const gates = mkdtempSync(join(dir, "gates-"));
    for (const id of open) writeFileSync(join(gates, id), "");
    return gates;
  }

  test("kill -9 of the coordinator, then resume: queued, running and unseen finished steps are attached to, none runs twice", async (t) => {
    const queue = `crash-${randomUUID().slice(0, 8)}`;
    // One worker thread: one of a, b, c runs at a time, the others wait in the queue.
    await workersOn(queue, 1);
    const events = await queueEvents(redis.url, queue);
    t.after(() => events.close());
    const ran = join(dir, `${queue}.ran`);
    const state = join(dir, `${queue}.state`);
    const gates = gatesWith("first");
    const child = spawn(process.execPath, [coordinator, redis.url, queue, state, ran, gates], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    const runId = (await seen(child.stdout!, /^run (\S+)$/m))[1]!;
    // `first` is in the state file, a, b and c are enqueued, and one of them runs on the worker.
    await seen(child.stdout!, /^end first$/m);
    await events.count(["waiting"], 4);
    const running = (await linesOnce(ran, 2))[1]!.split(" ")[0]!;
    const killed = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await killed;

    // With no coordinator: the running step finishes, and the worker takes the next queued one.
    writeFileSync(join(gates, running), "");
    const next = (await linesOnce(ran, 3))[2]!.split(" ")[0]!;
    assert.notEqual(next, running);

    // Resumed in another process (this one): once it added a, b and c (no-ops that BullMQ reports
    // as duplicated, or new jobs if it did not find them), every gate opens.
    const o = orchestrator(crashStrategy(), queue, { ran, gates });
    t.after(() => o.close());
    const resumed = o.execute("go", { resumeFrom: state });
    await events.count(["waiting", "duplicated"], 4 + 3);
    for (const id of CRASH_STEPS) writeFileSync(join(gates, id), "");
    const result = await resumed;

    assert.equal(result.success, true, JSON.stringify(result.steps.map((s) => [s.stepId, s.status, s.error?.message])));
    const runs = readFileSync(ran, "utf8").split("\n").filter(Boolean).map((line) => line.split(" ")[0]!);
    assert.deepEqual([...runs].sort(), [...CRASH_STEPS].sort(), `every step ran exactly once: ${runs.join(", ")}`);
    assert.equal(result.runId, runId, "the resumed run goes on under its saved id");
    assert.deepEqual(result.steps.map((s) => [s.stepId, s.status, s.attempts]), CRASH_STEPS.map((id) => [id, "completed", 1]));

    const local = new ParallelOrchestrator(crashStrategy()).addAgent("Gate", { module: gateAgent, options: { ran: join(dir, `${queue}.local.ran`), gates: gatesWith(...CRASH_STEPS) } });
    t.after(() => local.close());
    assert.deepEqual(result.context, (await local.execute("go")).context);
    // The run's jobs, kept until it ended so that a resume could find them, are gone with it.
    assert.deepEqual(await client.keys(`wavepool:${queue}:${runId}:*`), []);
  });

  test("a paused run whose coordinator died before cleaning up, resumed with the approval: the step runs anew instead of taking the old pause", async (t) => {
    const queue = `paused-${randomUUID().slice(0, 8)}`;
    await workersOn(queue, 1);
    const state = join(dir, `${queue}.state`);
    const child = spawn(process.execPath, [pauser, redis.url, queue, state], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    const said = seen(child.stdout!, /^paused (\S+)$/m);
    const [, signal] = (await new Promise((resolve) => child.once("exit", (...args) => resolve(args)))) as [number | null, string | null];
    assert.equal(signal, "SIGKILL");
    assert.equal((await said)[1], "true");
    const runId = (await readStateFile(state)).runId;
    assert.equal(await client.exists(`wavepool:${queue}:${runId}:ask:1`), 1, "the paused attempt's job is still there");

    const strategy = new StrategyMap("one step that asks for approval").addStep(new StrategyStep("ask", "ask", "Approve", "the draft", "ask_out"));
    const o = new ParallelOrchestrator(strategy, redis.onQueue(queue)).addAgent("Approve", agent("approve"));
    t.after(() => o.close());
    const result = await o.execute("go", { resumeFrom: state, approvals: { ask: { approved: true, note: "ship it" } } });
    assert.equal(result.paused, false);
    assert.equal(result.success, true, JSON.stringify(result.steps[0]!.error));
    assert.deepEqual(result.context.get("ask_out"), { approved: true, note: "ship it" });
    assert.deepEqual(await client.keys(`wavepool:${queue}:${runId}:*`), []);
  });

  test("one backend refuses a second run of an id in flight on it (one state resumed by two orchestrators at once) with StateMismatchError", async (t) => {
    const queue = `twice-${randomUUID().slice(0, 8)}`;
    await workersOn(queue, 1);
    const strategy = strategyOf(["a", "Echo", "a"], ["b", "Fail", "b {{ a_out.intent }}"]);
    const local = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Echo", agent("echo")).addAgent("Fail", agent("fail"));
    t.after(() => local.close());
    const state = join(dir, `${queue}.state`);
    const saved = await local.execute("go", { saveStateTo: state });
    const read = await readStateFile(state);
    const backend = redisBackend({ connection: redis.url, queue });
    const [o1, o2] = [0, 1].map(() => new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withBackend(backend)).addAgent("Echo", agent("echo")).addAgent("Fail", agent("fail")));
    t.after(() => Promise.all([o1!.close(), o2!.close()]));
    const settled = await Promise.allSettled([o1!.execute("go", { resumeFrom: read }), o2!.execute("go", { resumeFrom: read })]);
    const ran = settled.filter((s) => s.status === "fulfilled");
    const refused = settled.filter((s) => s.status === "rejected");
    assert.deepEqual(ran.map((s) => s.value.runId), [saved.runId]);
    assert.equal(refused.length, 1);
    const error = refused[0]!.reason as Error;
    assert.ok(error instanceof StateMismatchError, String(error));
    assert.match(error.message, new RegExp(`run ${saved.runId} is in flight on this backend already.*resume a state once, after its run ended`));
    // Once that run ended, the id is free again.
    assert.equal((await o2!.execute("go", { resumeFrom: read })).runId, saved.runId);
  });

  test("SIGTERM: a step that does not finish within --grace is handed back and runs at once on the other worker; the worker exits 0", async (t) => {
    const queue = `handback-${randomUUID().slice(0, 8)}`;
    // Locks of 30 s: a step recovered as stalled would say so, and take that long.
    const pair = await workersOn(queue, 2, ["--grace", "300ms"]);
    const ran = join(dir, `${queue}.ran`);
    const gates = gatesWith();
    const o = orchestrator(strategyOf(["long", "Gate", "long"], ["after", "Gate", "after {{ long_out.intent }}"]), queue, { ran, gates });
    t.after(() => o.close());
    writeFileSync(join(gates, "after"), "");
    const running = o.execute("go");
    const victim = Number((await linesOnce(ran, 1))[0]!.split(" ")[1]);
    const stopped = pair.find((w) => w.pid === victim)!;
    assert.equal(await stopped.stop("SIGTERM"), 0);
    assert.match(stopped.stderr(), /stopping/);
    writeFileSync(join(gates, "long"), "");
    const result = await running;

    assert.equal(result.success, true, JSON.stringify(result.steps.map((s) => s.error)));
    const [long, next] = result.steps;
    assertHandedBack(long!, victim, /was stopped, and handed the step back after its grace period of 300 ms/);
    assert.equal(next!.attempts, 1);
    assert.deepEqual(readFileSync(ran, "utf8").split("\n").filter(Boolean).map((l) => l.split(" ")[0]), ["long", "long", "after"]);
  });

  test("SIGTERM: a step that finishes within --grace completes on the stopping worker, which takes no new step", async (t) => {
    const queue = `drain-${randomUUID().slice(0, 8)}`;
    const pair = await workersOn(queue, 2, ["--grace", "60s"]);
    const ran = join(dir, `${queue}.ran`);
    const gates = gatesWith("two");
    const o = orchestrator(strategyOf(["one", "Gate", "one"], ["two", "Gate", "two {{ one_out.intent }}"]), queue, { ran, gates });
    t.after(() => o.close());
    const running = o.execute("go");
    const victim = Number((await linesOnce(ran, 1))[0]!.split(" ")[1]);
    const stopping = pair.find((w) => w.pid === victim)!;
    const said = seen(stopping.child.stderr!, /stopping/);
    const exited = stopping.stop("SIGTERM");
    await said;
    writeFileSync(join(gates, "one"), "");
    const result = await running;
    assert.equal(await exited, 0);

    assert.equal(result.success, true, JSON.stringify(result.steps.map((s) => s.error)));
    const [one, two] = result.steps;
    assert.equal(one!.attempts, 1);
    assert.ok(one!.worker!.endsWith(`:${victim}`), `one finished where it started: ${one!.worker}`);
    assert.ok(!two!.worker!.endsWith(`:${victim}`), `the stopping worker took no new step: two ran on ${two!.worker}`);
  });

  test("a grace period that is not a duration is refused, by the command and by startStepWorker", async () => {
    const exit = await cli(["worker", "--redis", redis.url, "--grace", "soon"]);
    assert.equal(exit.code, 2, exit.stderr);
    assert.match(exit.stderr, /--grace expects a duration such as 500ms, 30s or 2m, got "soon"/);
    await assert.rejects(startStepWorker({ connection: redis.url, graceMs: -1 }), (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /`graceMs`.*got `-1`/);
      return true;
    });
  });
});
