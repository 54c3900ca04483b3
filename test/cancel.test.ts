// Aborting a run: running steps terminated, pending ones cancelled, finished outputs kept, prompt.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ParallelOrchestrator, ParallelOrchestratorConfig } from "wavepool";
import { agent, startCell, strategyOf, waitForCell } from "./helpers.js";

test("signal aborts mid-run: running terminated, pending cancelled, finished kept", async () => {
  const started = startCell();
  const strategy = strategyOf(
    ["quick", "Echo", "done early"],
    ["hang", "Spin", "forever", "hung"],
    ["after", "Echo", "{{ hung }}"],
  );
  const o = new ParallelOrchestrator(strategy, { threads: 2 })
    .addAgent("Echo", agent("echo")).addAgent("Spin", { module: agent("spin"), options: { started } });
  after(() => o.close());
  const controller = new AbortController();
  let quickDone!: () => void;
  const quickEnded = new Promise<void>((resolve) => (quickDone = resolve));
  const running = o.execute("t", {
    signal: controller.signal,
    onEvent: (e) => e.type === "step:end" && e.stepId === "quick" && quickDone(),
  });
  await Promise.all([waitForCell(started), quickEnded]);
  const abortedAt = Date.now();
  controller.abort();
  const result = await running;
  assert.ok(Date.now() - abortedAt < 3000, "execute resolves promptly after abort");
  assert.equal(result.cancelled, true);
  assert.equal(result.success, false);
  assert.deepEqual(result.steps.map((s) => s.status), ["completed", "cancelled", "cancelled"]);
  assert.equal(result.steps[1]!.error?.code, "WAVEPOOL_RUN_CANCELLED");
  assert.equal((result.context.get("quick_out") as { intent: string }).intent, "done early");
  // The terminated thread was replaced: the same orchestrator runs again.
  const again = await new ParallelOrchestrator(strategyOf(["x", "Echo", "x"]), { threads: 1 }).addAgent("Echo", agent("echo")).execute("t");
  assert.equal(again.success, true);
});

test("a signal aborted before execute cancels every step and runs nothing", async () => {
  const o = new ParallelOrchestrator(strategyOf(["a", "Echo", "a"], ["b", "Echo", "{{ a_out }}"]), { threads: 1 }).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("t", { signal: AbortSignal.abort() });
  assert.equal(result.cancelled, true);
  assert.deepEqual(result.steps.map((s) => [s.status, s.attempts]), [["cancelled", 0], ["cancelled", 0]]);
  assert.equal(result.stepsExecuted, 0);
});

test("withFailFast(true): the first failure cancels the rest", async () => {
  const started = startCell();
  const strategy = strategyOf(["boom", "Fail", "x"], ["hang", "Spin", "forever"], ["later", "Echo", "{{ boom_out }}"]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withFailFast(true).withThreads(2))
    .addAgent("Fail", agent("fail")).addAgent("Echo", agent("echo")).addAgent("Spin", { module: agent("spin"), options: { started } });
  after(() => o.close());
  const result = await o.execute("t");
  assert.equal(result.cancelled, true);
  const status = Object.fromEntries(result.steps.map((s) => [s.stepId, s.status]));
  assert.equal(status.boom, "failed");
  assert.equal(status.later, "skipped");
  assert.equal(status.hang, "cancelled");
});

test("one signal can serve many runs; aborting it later leaves finished results as they were", async () => {
  // A paused run still has pending steps: a late abort must not turn them into cancelled ones.
  const o = new ParallelOrchestrator(strategyOf(["a", "Approve", "x"], ["b", "Echo", "{{ a_out }}"]), { threads: 1 })
    .addAgent("Approve", agent("approve")).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const controller = new AbortController();
  const results = [];
  for (let k = 0; k < 3; k++) results.push(await o.execute("t", { signal: controller.signal }));
  controller.abort();
  for (const result of results) {
    assert.equal(result.paused, true);
    assert.equal(result.cancelled, false);
    assert.deepEqual(result.steps.map((s) => s.status), ["paused", "pending"]);
  }
});

test("close() during a run cancels it: the run resolves cancelled, its finished outputs kept", async () => {
  const started = startCell();
  const o = new ParallelOrchestrator(strategyOf(["quick", "Echo", "q"], ["hang", "Spin", "forever", undefined, { dependsOn: ["quick"] }]), { threads: 1 })
    .addAgent("Echo", agent("echo")).addAgent("Spin", { module: agent("spin"), options: { started } });
  const running = o.execute("t");
  await waitForCell(started);
  await o.close();
  const result = await running;
  assert.equal(result.cancelled, true);
  assert.deepEqual(result.steps.map((s) => s.status), ["completed", "cancelled"]);
  assert.equal(result.steps[1]!.error?.code, "WAVEPOOL_RUN_CANCELLED");
  assert.match(result.steps[1]!.error!.message, /orchestrator was closed/);
  assert.ok(result.context.has("quick_out"));
});
