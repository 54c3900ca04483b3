// A job of a dead coordinator that still runs when the resumed run ends (the resumed run could not
// remove it: a worker holds its lock) is removed as it finishes, with its output, instead of staying
// in Redis for a day. Real Redis, real coordinator and worker processes.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { ParallelOrchestrator, ParallelOrchestratorConfig } from "wavepool";
import { agent, strategyOf } from "./helpers.js";
import { linesOnce } from "./fixtures/file-lines.js";
import { redisMissing } from "./fixtures/redis-server.js";
import { redisSuite } from "./fixtures/redis-suite.js";

const missing = redisMissing();
const dir = mkdtempSync(join(tmpdir(), "wavepool-orphan-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const coordinator = fileURLToPath(new URL("./fixtures/retry-coordinator.js", import.meta.url));

describe("distributed runs: a dead coordinator's job that outlives the resumed run", { skip: missing }, () => {
  const redis = redisSuite();
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) child.kill("SIGKILL");
  });

  test("its job is removed once it finishes, with its output, instead of kept for a day", async (t) => {
    const queue = `orphan-${randomUUID().slice(0, 8)}`;
    await redis.workerOn(queue);
    const ran = join(dir, `${queue}.ran`);
    const state = join(dir, `${queue}.state`);
    const gates = mkdtempSync(join(dir, "gates-"));
    const events = new QueueEvents(queue, { connection: { url: redis.url } as never, prefix: "wavepool", lastEventId: "0-0" });
    t.after(() => events.close());
    await events.waitUntilReady();
    const client = new Redis(redis.url);
    t.after(() => client.disconnect());

    // The coordinator's first try of b fails, its second runs (its gate closed): the coordinator dies.
    const child = spawn(process.execPath, [coordinator, redis.url, queue, state, ran, gates], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(child);
    const line = (await linesOnce(ran, 2))[1]!;
    assert.match(line, /^b 2 /);
    const killed = once(child, "exit");
    child.kill("SIGKILL");
    await killed;

    // Resumed: it takes the first try's failure from Redis, and is cancelled while it waits to retry.
    const strategy = strategyOf(["b", "FailsFirst", "b"]);
    const config = new ParallelOrchestratorConfig().withRetries({ attempts: 3, backoffMs: 60_000, maxBackoffMs: 60_000 });
    const o = new ParallelOrchestrator(strategy, redis.onQueue(queue, config)).addAgent("FailsFirst", { module: agent("fails-first"), options: { ran, gates } });
    t.after(() => o.close());
    const stop = new AbortController();
    const resumed = await o.execute("go", {
      resumeFrom: state,
      signal: stop.signal,
      onEvent: (event) => {
        if (event.type === "step:end" && event.attempt === 1) stop.abort();
      },
    });
    assert.equal(resumed.cancelled, true);
    const second = `${resumed.runId}:b:2`;
    assert.equal(await client.exists(`wavepool:${queue}:${second}`), 1, "the dead coordinator's second try still runs, locked");

    // It finishes: BullMQ says so, and nothing of it is left.
    const finished = once(events, `completed:${second}`);
    writeFileSync(join(gates, "b"), "");
    await finished;
    assert.equal(await client.exists(`wavepool:${queue}:${second}`), 0, "the job is removed");
    assert.equal(await client.exists(`wavepool:${queue}:out:${second}`), 0, "its output is removed");
    assert.deepEqual(await client.keys(`wavepool:${queue}:${resumed.runId}:*`), []);
  });
});
