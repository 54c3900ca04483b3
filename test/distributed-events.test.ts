// A remote step's calls come back to the coordinator as a local run's: `step:progress` and
// `step:output` events (a Map with a BigInt intact), in order and before the step's `step:end`, and
// its `ctx.log` lines in the coordinator's winston logger. Real Redis, a real `wavepool worker`.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import winston from "winston";
import { ParallelOrchestrator, ParallelOrchestratorConfig, type RunEvent } from "wavepool";
import { redisBackend } from "wavepool/distributed";
import { Redis } from "ioredis";
import { CallReader, callSender, DRAIN_TIMEOUT_MS, type ForwardedCall } from "../src/distributed/call-stream.js";
import { agent, strategyOf } from "./helpers.js";
import { redisMissing, startRedis, startWorker, type RedisServer, type WorkerProcess } from "./fixtures/redis-server.js";

const missing = redisMissing();

function memoryLogger(level: string): { logger: winston.Logger; entries: Record<string, unknown>[] } {
  const entries: Record<string, unknown>[] = [];
  const stream = new Writable({ objectMode: true, write(info, _enc, done) { entries.push(info); done(); } });
  return { logger: winston.createLogger({ level, transports: [new winston.transports.Stream({ stream })] }), entries };
}

describe("distributed runs: a remote step's events", { skip: missing }, () => {
  let redis: RedisServer;
  let worker: WorkerProcess | undefined;
  const queue = `events-${randomUUID().slice(0, 8)}`;
  before(async () => {
    redis = await startRedis();
    worker = await startWorker(redis.url, queue);
  });
  after(async () => {
    await worker?.stop("SIGKILL");
    await redis?.stop();
  });

  test("progress, ctx.emit chunks and log lines of a remote step reach the coordinator in order, before its step:end", async (t) => {
    const { logger, entries } = memoryLogger("warn");
    const strategy = strategyOf(["talk", "Reporter", "talk {{ task }}"], ["echo", "Echo", "{{ talk_out }}"]);
    const config = new ParallelOrchestratorConfig().withLogger(logger).withBackend(redisBackend({ connection: redis.url, queue }));
    const o = new ParallelOrchestrator(strategy, config).addAgent("Reporter", agent("reporter")).addAgent("Echo", agent("echo"));
    t.after(() => o.close());
    const events: RunEvent[] = [];
    const result = await o.execute("go", { onEvent: (event) => events.push(event) });
    assert.deepEqual(result.steps.map((s) => s.status), ["completed", "completed"]);
    assert.equal(result.context.get("talk_out"), "reported talk go");

    const talk = events.filter((e) => "stepId" in e && e.stepId === "talk").map((e) => e as RunEvent & { stepId: string; attempt?: number });
    assert.deepEqual(talk.map((e) => e.type), [
      "step:start", "step:progress", "step:output", "step:progress", "step:output", "step:progress", "step:output", "step:end",
    ]);
    assert.ok(talk.every((e) => e.attempt === 1), "every event names attempt 1");
    const progress = talk.filter((e) => e.type === "step:progress") as Extract<RunEvent, { type: "step:progress" }>[];
    assert.deepEqual(progress.map((e) => [e.progress, e.message]), [[0.25, "a quarter"], [0.5, "half way"], [1, "done"]]);
    const chunks = talk.filter((e) => e.type === "step:output").map((e) => (e as Extract<RunEvent, { type: "step:output" }>).chunk);
    assert.equal(chunks[0], "first");
    const map = chunks[1] as Map<string, unknown>;
    assert.ok(map instanceof Map, `the second chunk is a Map: ${String(map)}`);
    assert.equal(map.get("big"), 2n ** 70n);
    assert.ok(map.get("when") instanceof Date && (map.get("when") as Date).getTime() === 0);
    assert.deepEqual(chunks[2], { last: true });

    // The warn line is in the coordinator's logger, tagged like a local one; info is below its level.
    const lines = entries.filter((e) => e.stepId === "talk");
    assert.deepEqual(lines.map((e) => [e.level, e.message]), [["warn", "careful now"]]);
    assert.equal(lines[0]!.intent, "talk go");
    assert.equal(lines[0]!.attempt, 1);
    assert.equal(lines[0]!.runId, result.runId);
  });

  test("the coordinator's reader holds a job's end until it has handed on every call up to the job's last entry, in order", async (t) => {
    const key = `wavepool:${queue}:calls:unit-${randomUUID().slice(0, 8)}`;
    const writer = new Redis(redis.url);
    t.after(() => writer.disconnect());
    const warnings: string[] = [];
    const sender = callSender(writer, key, "job-1", 60_000, (message) => warnings.push(message));
    for (let k = 0; k < 200; k++) sender.send(["progress", 1, k / 200, `step ${k}`]);
    sender.send(["output", 1, new Map([["big", 1n]])]);
    sender.send(["log", 1, "warn", "last", { k: 200 }]);
    const last = await sender.flushed();
    assert.ok(last !== undefined);
    const seen: [string, ForwardedCall][] = [];
    const reader = new CallReader(new Redis(redis.url), key, (jobId, call) => seen.push([jobId, call]));
    t.after(() => reader.close());
    const started = Date.now();
    // Asked before the reader has read anything: it resolves only once all 202 entries are handed on.
    await reader.reached(last);
    assert.ok(Date.now() - started < DRAIN_TIMEOUT_MS, "reached by reading, not by its timeout");
    assert.equal(seen.length, 202);
    assert.ok(seen.every(([jobId]) => jobId === "job-1"));
    assert.deepEqual(seen.slice(0, 200).map(([, call]) => call[3]), Array.from({ length: 200 }, (_, k) => `step ${k}`));
    assert.deepEqual(seen[200]![1], ["output", 1, new Map([["big", 1n]])]);
    assert.deepEqual(seen[201]![1], ["log", 1, "warn", "last", { k: 200 }]);
    assert.deepEqual(warnings, []);
    assert.ok(await writer.pttl(key) > 0, "the stream expires if its run never deletes it");
  });
});
