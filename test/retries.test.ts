// Retries with backoff: counted through a file, attempts in the record and in events; errors that
// must not be retried are not.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ParallelOrchestrator, ParallelOrchestratorConfig, type RunEvent } from "wavepool";
import { backoffDelay } from "../src/run/backoff.js";
import { agent, strategyOf } from "./helpers.js";

const dir = await mkdtemp(join(tmpdir(), "wavepool-retries-"));
const lines = (file: string) => readFileSync(file, "utf8").trim().split("\n");

test("a failing step is retried until it succeeds; attempts are in the record, the history and the events", async () => {
  const file = join(dir, "flaky-1.log");
  const o = new ParallelOrchestrator(strategyOf(["f", "Flaky", "x"], ["g", "Echo", "{{ f_out.tries }}"]),
    new ParallelOrchestratorConfig().withThreads(1).withRetries({ attempts: 4, backoffMs: 1 }))
    .addAgent("Flaky", { module: agent("flaky"), options: { file, failTimes: 2 } }).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const events: RunEvent[] = [];
  const result = await o.execute("t", { onEvent: (e) => events.push(e) });
  assert.equal(result.success, true);
  assert.deepEqual(lines(file), ["f:1", "f:2", "f:3"]);
  const f = result.steps[0]!;
  assert.equal(f.attempts, 3);
  assert.deepEqual(f.history.map((h) => [h.attempt, h.status]), [[1, "failed"], [2, "failed"], [3, "completed"]]);
  assert.equal(f.error, undefined);
  const starts = events.filter((e) => e.type === "step:start" && e.stepId === "f").map((e) => e.type === "step:start" && e.attempt);
  assert.deepEqual(starts, [1, 2, 3]);
  assert.equal((result.context.get("g_out") as { intent: string }).intent, "3");
});

test("attempts are bounded: the last error is kept and dependents are skipped", async () => {
  const file = join(dir, "flaky-2.log");
  const o = new ParallelOrchestrator(strategyOf(["f", "Flaky", "x"], ["g", "Echo", "{{ f_out }}"]),
    new ParallelOrchestratorConfig().withThreads(1).withRetries({ attempts: 2, backoffMs: 1 }))
    .addAgent("Flaky", { module: agent("flaky"), options: { file, failTimes: 5 } }).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("t");
  assert.equal(lines(file).length, 2);
  assert.deepEqual(result.steps.map((s) => [s.status, s.attempts]), [["failed", 2], ["skipped", 0]]);
  assert.match(result.steps[0]!.error!.message, /flaky failure 2/);
});

test("the step option `retries` overrides the config", async () => {
  const file = join(dir, "flaky-3.log");
  const o = new ParallelOrchestrator(strategyOf(["f", "Flaky", "x", undefined, { retries: 3 }]), { threads: 1 })
    .addAgent("Flaky", { module: agent("flaky"), options: { file, failTimes: 3 } });
  after(() => o.close());
  const result = await o.execute("t");
  assert.equal(result.success, true);
  assert.equal(result.steps[0]!.attempts, 4);
});

test("an agent error with retryable: false is not retried", async () => {
  const file = join(dir, "flaky-4.log");
  const o = new ParallelOrchestrator(strategyOf(["f", "Flaky", "x"]), new ParallelOrchestratorConfig().withThreads(1).withRetries({ attempts: 5, backoffMs: 1 }))
    .addAgent("Flaky", { module: agent("flaky"), options: { file, failTimes: 5, retryable: false } });
  after(() => o.close());
  const result = await o.execute("t");
  assert.equal(result.steps[0]!.attempts, 1);
  assert.equal(lines(file).length, 1);
});

test("uncloneable outputs are never retried; timeouts are", async () => {
  const o = new ParallelOrchestrator(strategyOf(["bad", "BadOutput", "x"], ["slow", "Spin", "spin forever", undefined, { timeoutMs: 50 }]),
    new ParallelOrchestratorConfig().withThreads(2).withRetries({ attempts: 3, backoffMs: 1 }))
    .addAgent("BadOutput", agent("bad-output")).addAgent("Spin", agent("spin"));
  after(() => o.close());
  const result = await o.execute("t");
  assert.deepEqual(result.steps.map((s) => [s.status, s.attempts]), [["failed", 1], ["timed_out", 3]]);
});

test("backoff grows exponentially with jitter and respects maxBackoffMs", () => {
  const policy = { attempts: 10, backoffMs: 100, maxBackoffMs: 1000 };
  assert.equal(backoffDelay(policy, 2, () => 0), 50);
  assert.equal(backoffDelay(policy, 2, () => 1), 100);
  assert.equal(backoffDelay(policy, 3, () => 1), 200);
  assert.equal(backoffDelay(policy, 4, () => 1), 400);
  assert.equal(backoffDelay(policy, 9, () => 1), 1000);
  assert.equal(backoffDelay(policy, 9, () => 0), 500);
});
