// Redis stopped and started again on the same port, without persistence (an empty server when it
// is back). A run started while it is down fails at once with BackendUnavailableError. A worker idle
// through the outage reconnects and serves the next runs, from a new coordinator and from one that
// lived through it. A run whose jobs went with the server cannot get
// their results: it fails with BackendUnavailableError naming the step and the server (instead of
// waiting forever), and the worker that was running the step goes on to serve the next run.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { BackendUnavailableError, ParallelOrchestrator, ParallelOrchestratorConfig } from "wavepool";
import { redisBackend } from "wavepool/distributed";
import { agent, strategyOf } from "./helpers.js";
import { redisMissing } from "./fixtures/redis-server.js";
import { redisSuite } from "./fixtures/redis-suite.js";
import { linesOf, saidOnStderr, startRedisVariant } from "./fixtures/redis-variants.js";

const missing = redisMissing();
const dir = mkdtempSync(join(tmpdir(), "wavepool-outage-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("distributed runs: Redis restarted", { skip: missing }, () => {
  const suite = redisSuite(() => startRedisVariant());

  function orchestrator(queue: string, ran: string, ms: number): ParallelOrchestrator {
    const strategy = strategyOf(["a", "PidMark", "a"], ["b", "PidMark", "b {{ a_out }}"]);
    return new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withBackend(redisBackend({ connection: suite.url, queue })))
      .addAgent("PidMark", { module: agent("pid-mark"), options: { ran, ms } });
  }

  test("while Redis is down a run fails at once; a worker idle meanwhile reconnects and serves the next runs, of a new coordinator and of one that lived through it", async (t) => {
    const queue = `idle-${randomUUID().slice(0, 8)}`;
    const worker = await suite.workerOn(queue);
    const ran = join(dir, `${queue}.ran`);
    const before = orchestrator(queue, ran, 1);
    t.after(() => before.close());
    const first = await before.execute("go");
    assert.deepEqual(first.steps.map((s) => s.status), ["completed", "completed"]);

    // Every "error" of a client is heard: ioredis prints the ones nobody listens to.
    const printed = t.mock.method(console, "error");
    const noticed = saidOnStderr(worker, /ECONNREFUSED/);
    await suite.server.stop();
    await noticed;
    // A run while the server is down fails at once, as a first one would, instead of waiting for it.
    await assert.rejects(before.execute("go"), (error: unknown) => {
      assert.ok(error instanceof BackendUnavailableError, String(error));
      assert.equal(error.url, suite.url);
      return true;
    });
    await suite.server.start();

    const fresh = orchestrator(queue, ran, 1);
    t.after(() => fresh.close());
    for (const [name, o] of [["a new coordinator", fresh], ["the coordinator from before", before]] as const) {
      const result = await o.execute("go");
      assert.deepEqual(result.steps.map((s) => s.status), ["completed", "completed"], `${name}: ${JSON.stringify(result.steps.map((s) => s.error))}`);
      assert.ok(result.steps.every((s) => s.worker?.endsWith(`:${worker.pid}`)), `${name}: ${JSON.stringify(result.steps.map((s) => s.worker))}`);
    }
    assert.equal(worker.child.exitCode, null, "the worker is still up");
    assert.doesNotMatch(worker.stderr(), /Unhandled error/);
    // Its connections retried many times while the server was away: the worker said so once each way.
    const lines = worker.stderr().split("\n").filter((line) => line !== "");
    assert.deepEqual(lines.map((line) => line.replace(/ \(.*$/, "").replace(/; .*$/, "")), [
      `wavepool worker: lost Redis at ${suite.url}`, `wavepool worker: Redis at ${suite.url} is back`,
    ], worker.stderr());
    const unheard = printed.mock.calls.filter((call) => String(call.arguments[0]).includes("Unhandled error"));
    assert.deepEqual(unheard.map((call) => String(call.arguments[1]).split("\n")[0]), [], "every client of the coordinator heard its errors");
  });

  test("a run whose server restarts empty under a running step fails with BackendUnavailableError naming the step; the worker serves the next run", async (t) => {
    const queue = `lost-${randomUUID().slice(0, 8)}`;
    const worker = await suite.workerOn(queue);
    const ran = join(dir, `${queue}.ran`);
    const o = orchestrator(queue, ran, 2_000);
    t.after(() => o.close());
    const running = o.execute("go");
    // The worker runs `a`: the server goes, and comes back without the job.
    await linesOf(ran, 1);
    await suite.server.stop();
    await suite.server.start();
    const result = await running;
    assert.equal(result.success, false);
    const [a, b] = result.steps;
    assert.equal(a!.status, "failed");
    assert.equal(a!.attempts, 1, "not retried: the outputs it would read went with the server");
    assert.equal(a!.error?.code, "WAVEPOOL_BACKEND_UNAVAILABLE");
    assert.match(a!.error!.message, new RegExp(`step a \\(agent PidMark\\) cannot finish: its job is gone from Redis at redis://127\\.0\\.0\\.1:${suite.server.port}`));
    assert.notEqual(b!.status, "completed");

    // The worker finishes (or drops) its orphan step, and takes the next run's steps.
    const next = orchestrator(queue, join(dir, `${queue}-next.ran`), 1);
    t.after(() => next.close());
    const again = await next.execute("go");
    assert.deepEqual(again.steps.map((s) => s.status), ["completed", "completed"], JSON.stringify(again.steps.map((s) => s.error)));
    assert.ok(again.steps.every((s) => s.worker?.endsWith(`:${worker.pid}`)));
    assert.doesNotMatch(worker.stderr(), /Unhandled error/);
  });
});
