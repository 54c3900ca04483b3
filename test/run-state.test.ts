// The pure state of a run, driven without threads: what becomes ready, what a failure skips, what a
// pause holds back, what a cancel settles, and the result it all adds up to.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RunCancelledError, StepFailedError } from "wavepool";
import { runResult } from "../src/run/run-result.js";
import { Repeats } from "../src/run/repeats.js";
import { RunState } from "../src/run/run-state.js";
import { strategyOf } from "./helpers.js";

// a -> b -> d, a -> c, e alone
const graph = strategyOf(
  ["a", "X", "go"], ["b", "X", "{{ a_out }}"], ["c", "X", "{{ a_out }}"], ["d", "X", "{{ b_out }}"], ["e", "X", "alone"],
).graph();
const [A, B, C, D, E] = [0, 1, 2, 3, 4];
const meta = { runId: "r", stop: undefined, startedAt: 0, endedAt: 5, stateError: undefined };

test("completing a step makes exactly the dependents whose every input exists ready, once", () => {
  const state = new RunState(graph, "task", { extra: 1 });
  assert.deepEqual(state.initiallyReady(), [A, E]);
  assert.equal(state.begin(A), 1);
  assert.deepEqual(state.complete(A, "out-a"), [B, C]);
  assert.equal(state.context.get("a_out"), "out-a");
  assert.equal(state.context.get("task"), "task");
  assert.equal(state.context.get("extra"), 1);
  assert.deepEqual([...state.outputs.keys()], ["a_out"]);
  state.begin(B);
  assert.deepEqual(state.complete(B, "out-b"), [D]);
  assert.equal(state.executed, 2);
});

test("a failure skips its transitive dependents only, and becomes the run's error", () => {
  const state = new RunState(graph, "t", {});
  state.begin(A);
  const skipped = state.fail(A, "failed", new StepFailedError("boom", { stepId: "a" }));
  assert.deepEqual(skipped.sort(), [B, C, D]);
  assert.deepEqual(state.status, ["failed", "skipped", "skipped", "skipped", "pending"]);
  state.begin(E);
  state.complete(E, "e");
  const result = runResult(state, meta);
  assert.equal(result.success, false);
  assert.equal(result.error?.code, "WAVEPOOL_STEP_FAILED");
  assert.equal(state.settled, 5);
});

test("a paused step keeps its dependents pending; the result is paused with one request per paused step", () => {
  const state = new RunState(graph, "t", {});
  state.begin(A);
  state.complete(A, "a");
  state.begin(B);
  state.pause(B, { stepId: "b", agent: "X", message: "ok?" });
  state.begin(C);
  assert.deepEqual(state.complete(C, "c"), []);
  assert.equal(state.status[D], "pending");
  const result = runResult(state, meta);
  assert.equal(result.paused, true);
  assert.equal(result.success, false);
  assert.equal(result.pauseReason, "step b waits for approval: ok?");
  assert.deepEqual(result.pendingApprovals.map((p) => p.stepId), ["b"]);
});

test("cancelling settles every step not started; a cancelled run is not paused", () => {
  const state = new RunState(graph, "t", {});
  state.begin(A);
  state.pause(A, { stepId: "a", agent: "X", message: "?" });
  const cancelled = state.cancelPending(new RunCancelledError("stop"));
  assert.deepEqual(cancelled, [B, C, D, E]);
  const result = runResult(state, { ...meta, stop: "cancelled" });
  assert.equal(result.cancelled, true);
  assert.equal(result.paused, false);
  assert.equal(result.steps[B]!.error?.code, "WAVEPOOL_RUN_CANCELLED");
});

test("an attempt a thread refused is not counted; a retried one keeps its history", () => {
  const state = new RunState(graph, "t", {});
  state.begin(A);
  state.unbegin(A);
  assert.equal(state.records[A]!.attempts, 0);
  assert.equal(state.begin(A), 1);
  state.recordAttempt(A, { attempt: 1, status: "failed", threadId: 3, startedAt: 10, endedAt: 15 });
  state.retry(A);
  assert.equal(state.status[A], "pending");
  assert.equal(state.begin(A), 2);
  state.recordAttempt(A, { attempt: 2, status: "completed", threadId: 4, startedAt: 20, endedAt: 27 });
  state.complete(A, "a");
  assert.deepEqual(state.records[A]!.history.map((h) => h.status), ["failed", "completed"]);
  assert.equal(state.records[A]!.durationMs, 7);
  assert.equal(state.records[A]!.threadId, 4);
});

test("restoring a saved state completes its steps without counting them as executed; waves mode opens levels as they settle", () => {
  const first = new RunState(graph, "t", {});
  first.begin(A);
  first.complete(A, "a");
  const saved = first.snapshot({ runId: "r", fingerprint: "f", task: "t", inputs: {}, approvals: {} });
  const state = new RunState(graph, "t", {});
  state.restore(saved);
  assert.equal(state.executed, 0);
  assert.equal(state.status[A], "completed");
  assert.deepEqual(state.initiallyReady(), [B, C, E]);
  assert.equal(state.openLevel, 0, "e (level 0) is not settled yet");
  state.begin(E);
  state.complete(E, "e");
  assert.equal(state.openLevel, 1);
});

test("a repeat step saved between iterations is restored pending with its record and last output, and its iterations go on from there", () => {
  const looping = strategyOf(
    ["a", "X", "go"], ["r", "X", "{{ a_out }} {{ iteration }} {{ previous }}", "r_out", { repeat: { until: "r_out == 'done'", maxIterations: 5 } }],
  ).graph();
  const first = new RunState(looping, "t", {});
  first.begin(0);
  first.complete(0, "a");
  first.begin(1);
  first.recordAttempt(1, { attempt: 1, iteration: 1, status: "completed", threadId: 3, startedAt: 1, endedAt: 2 });
  first.iterated(1, 1, "one");
  first.begin(1);
  first.pause(1, { stepId: "r", agent: "X", message: "?" });
  const saved = first.snapshot({ runId: "r", fingerprint: "f", task: "t", inputs: {}, approvals: {} });
  assert.equal(saved.outputs.get("r_out"), "one", "the state keeps the last iteration's output under the step's key");

  const state = new RunState(looping, "t", {});
  const iterating = state.restore(saved);
  assert.deepEqual(iterating.map((s) => [s.i, s.record.iterations, s.output]), [[1, 1, "one"]]);
  assert.deepEqual(state.status, ["completed", "pending"]);
  assert.equal(state.records[1]!.status, "pending");
  assert.equal(state.records[1]!.attempts, 2, "its attempts go on, so a distributed run's job ids do too");
  assert.equal(state.records[1]!.history.length, 1);
  assert.deepEqual(state.initiallyReady(), [1]);
  assert.equal(state.context.has("r_out"), false, "an iteration's output is not the step's output");
  assert.equal(state.outputs.get("r_out"), "one", "but the state the resumed run saves keeps it");
  const repeats = new Repeats(looping, (key) => state.context.get(key));
  repeats.resume(iterating);
  const locals = repeats.begin(1, state.begin(1));
  assert.equal(state.records[1]!.attempts, 3);
  assert.deepEqual([locals.iteration!.value, locals.previous!.value, locals.previous!.wire], [2, "one", "one"]);
  assert.equal(repeats.tries(1, 3), 1, "the iteration's first try");

  saved.outputs.delete("r_out");
  assert.deepEqual(new RunState(looping, "t", {}).restore(saved), [], "without the output (a state from before iterations were saved) it starts over");
});
