// Agent failures as values: own error name, message, code and stack kept; uncloneable outputs
// located by path; a failing step skips only its dependents.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ParallelOrchestrator } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

test("a failing agent keeps its own error name, message, code and stack", async () => {
  const strategy = strategyOf(["boom", "Fail", "write"], ["next", "Echo", "{{ boom_out }}"], ["other", "Echo", "fine"]);
  const o = new ParallelOrchestrator(strategy, { threads: 2 }).addAgent("Fail", agent("fail")).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("t");
  const [boom, next, other] = result.steps;
  assert.equal(boom!.status, "failed");
  assert.equal(boom!.error?.name, "StepFailedError");
  assert.equal(boom!.error?.code, "WAVEPOOL_STEP_FAILED");
  assert.match(boom!.error!.message, /step boom \(agent Fail\) failed: QuotaError: no quota left for: write/);
  assert.equal(boom!.error?.agentError?.name, "QuotaError");
  assert.equal(boom!.error?.agentError?.code, "E_QUOTA");
  assert.equal(boom!.error?.agentError?.retryable, false);
  assert.match(boom!.error!.agentError!.stack!, /fixtures\/agents\/fail\.js/);
  assert.match(boom!.error!.stack!, /agent stack:[\s\S]*fail\.js/);
  assert.equal(next!.status, "skipped");
  assert.equal(other!.status, "completed");
  assert.equal(result.error?.code, "WAVEPOOL_STEP_FAILED");
});

test("an output that cannot be cloned fails its step with OutputNotCloneableError and the value's path", async () => {
  const strategy = strategyOf(["bad", "BadOutput", "x"], ["ok", "Echo", "y"]);
  const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("BadOutput", agent("bad-output")).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("t");
  const [bad, ok] = result.steps;
  assert.equal(bad!.status, "failed");
  assert.equal(bad!.error?.name, "OutputNotCloneableError");
  assert.equal(bad!.error?.path, "$.report.sections[1].render");
  assert.match(bad!.error!.message, /step bad \(agent BadOutput\).*\$\.report\.sections\[1\]\.render/);
  assert.equal(ok!.status, "completed");
  // The thread survived the bad output: the step after it ran on the same single thread.
  assert.equal(ok!.threadId, bad!.threadId);
});
