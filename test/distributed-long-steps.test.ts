// Long CPU steps on workers whose lock lasts a fraction of the step: the CPU work is on the
// worker's thread, its event loop stays free to renew the lock, so no step is declared stalled,
// none runs twice, and each completes with one attempt.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ParallelOrchestrator } from "wavepool";
import { agent, strategyOf } from "./helpers.js";
import { redisMissing } from "./fixtures/redis-server.js";
import { redisSuite } from "./fixtures/redis-suite.js";

const missing = redisMissing();
const LOCK_MS = 500;
const STEP_MS = 4_000;
const dir = mkdtempSync(join(tmpdir(), "wavepool-long-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("distributed runs: long CPU steps", { skip: missing }, () => {
  const redis = redisSuite();

  test(`busy steps of ${STEP_MS} ms on workers with a ${LOCK_MS} ms lock and stalled check are never declared stalled: each runs once, one attempt`, async (t) => {
    const queue = `long-${randomUUID().slice(0, 8)}`;
    const fast = ["--lock", `${LOCK_MS}ms`, "--stalled-interval", `${LOCK_MS}ms`];
    // Two workers, each checking the other's locks while both compute.
    const workers = await redis.workersOn(queue, 2, fast);
    const ran = join(dir, `${queue}.ran`);
    const strategy = strategyOf(["one", "Mark", "one"], ["two", "Mark", "two"], ["three", "Mark", "three {{ one_out.digest }} {{ two_out.digest }}"]);
    const o = new ParallelOrchestrator(strategy, redis.onQueue(queue))
      .addAgent("Mark", { module: agent("mark"), options: { ran, ms: STEP_MS } });
    t.after(() => o.close());
    const result = await o.execute("go");
    for (const step of result.steps) {
      assert.equal(step.status, "completed", `${step.stepId}: ${JSON.stringify(step.error)}`);
      assert.equal(step.attempts, 1, `${step.stepId} ran ${step.attempts} times`);
      assert.equal(step.history.length, 1);
    }
    assert.notEqual(result.steps[0]!.worker, result.steps[1]!.worker, "the two first steps computed at once, on both workers");
    assert.deepEqual(readFileSync(ran, "utf8").split("\n").filter(Boolean).sort(), ["one", "three", "two"]);
    for (const worker of workers) assert.doesNotMatch(worker.stderr(), /stalled|lock/i);
  });
});
