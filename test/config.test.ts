// ParallelOrchestratorConfig: defaults, immutability, and option checks at with* time.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ParallelOrchestratorConfig } from "wavepool";

test("defaults: no timeout, concurrency = pool size, eager, no fail-fast, one attempt", () => {
  const c = new ParallelOrchestratorConfig();
  assert.equal(c.stepTimeoutMs, null);
  assert.equal(c.maxConcurrentTasks, null);
  assert.equal(c.scheduling, "eager");
  assert.equal(c.failFast, false);
  assert.equal(c.retries.attempts, 1);
});

test("every with* returns a new config and leaves the old one as it was", () => {
  const a = new ParallelOrchestratorConfig();
  const b = a.withStepTimeout(300_000).withMaxConcurrentTasks(3).withScheduling("waves").withFailFast(true)
    .withRetries({ attempts: 3, backoffMs: 10 });
  assert.notEqual(a, b);
  assert.equal(a.stepTimeoutMs, null);
  assert.deepEqual([b.stepTimeoutMs, b.maxConcurrentTasks, b.scheduling, b.failFast, b.retries.attempts, b.retries.backoffMs],
    [300_000, 3, "waves", true, 3, 10]);
  assert.equal(b.withNoTimeout().stepTimeoutMs, null);
  assert.equal(b.withUnlimitedConcurrency().maxConcurrentTasks, Infinity);
});

const bad: [string, () => unknown, RegExp][] = [
  ["timeout 0", () => new ParallelOrchestratorConfig().withStepTimeout(0), /`stepTimeout`.*got `0` \(number\)/],
  ["timeout NaN", () => new ParallelOrchestratorConfig().withStepTimeout(Number.NaN), /stepTimeout/],
  ["concurrency 0", () => new ParallelOrchestratorConfig().withMaxConcurrentTasks(0), /`maxConcurrentTasks` to be an integer from 1 and up, got `0`/],
  ["concurrency 1.5", () => new ParallelOrchestratorConfig().withMaxConcurrentTasks(1.5), /maxConcurrentTasks/],
  ["threads -1", () => new ParallelOrchestratorConfig().withThreads(-1), /threads/],
  ["attempts 0", () => new ParallelOrchestratorConfig().withRetries({ attempts: 0 }), /retries\.attempts/],
  ["backoff -5", () => new ParallelOrchestratorConfig().withRetries({ attempts: 2, backoffMs: -5 }), /retries\.backoffMs/],
  ["resource limit 0", () => new ParallelOrchestratorConfig().withResourceLimits({ maxOldGenerationSizeMb: 0 }), /maxOldGenerationSizeMb/],
];
for (const [what, call, message] of bad) {
  test(`${what} is a RangeError naming the option and the value`, () => {
    assert.throws(call, (e: unknown) => e instanceof RangeError && message.test(e.message));
  });
}

test("wrong types are TypeErrors", () => {
  // @ts-expect-error: not a mode
  assert.throws(() => new ParallelOrchestratorConfig().withScheduling("fast"), (e: unknown) => e instanceof TypeError && /"fast"/.test(e.message));
  // @ts-expect-error: not a boolean
  assert.throws(() => new ParallelOrchestratorConfig().withFailFast("yes"), TypeError);
  // @ts-expect-error: not a logger
  assert.throws(() => new ParallelOrchestratorConfig().withLogger({}), TypeError);
  // @ts-expect-error: not a pool
  assert.throws(() => new ParallelOrchestratorConfig().withPool({}), TypeError);
});

test("from() builds the same config from a plain options object", () => {
  const c = ParallelOrchestratorConfig.from({ stepTimeoutMs: 5, maxConcurrentTasks: 2, scheduling: "waves", failFast: true });
  assert.deepEqual([c.stepTimeoutMs, c.maxConcurrentTasks, c.scheduling, c.failFast], [5, 2, "waves", true]);
  assert.throws(() => ParallelOrchestratorConfig.from({ maxConcurrentTasks: 0 }), RangeError);
});
