// Approval: without a handler the run pauses with every pending request; one resume call answers
// them all (one approved, one rejected); finished steps are not run again.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { InvalidApprovalError, ParallelOrchestrator } from "wavepool";
import { readStateFile } from "../src/run/state-file.js";
import { agent, strategyOf } from "./helpers.js";

const dir = await mkdtemp(join(tmpdir(), "wavepool-approval-"));

function setup(journal: string) {
  const strategy = strategyOf(
    ["pre", "Journal", "prepare {{ task }}", "prepared"],
    ["a", "Ask", "{{ prepared.stepId }} branch a"],
    ["b", "Ask", "{{ prepared.stepId }} branch b"],
    ["joined", "Echo", "{{ a_out.decision.approved }} {{ b_out.decision.approved }}"],
    ["after_a", "Echo", "{{ a_out.decision.note }}"],
    ["independent", "Echo", "no approval needed"],
  );
  // Three threads: when `pre` ends, a and b start together whatever `independent` is doing.
  const o = new ParallelOrchestrator(strategy, { threads: 3 })
    .addAgent("Journal", { module: agent("journal"), options: { journal, ms: 1 } })
    .addAgent("Ask", { module: agent("double-approve"), options: { journal } })
    .addAgent("Echo", agent("echo"));
  after(() => o.close());
  return o;
}

test("two parallel approvals pause the run; one resume call approves one and rejects the other", async () => {
  const journal = join(dir, "journal-1");
  writeFileSync(journal, "");
  const stateFile = join(dir, "paused.state");
  const o = setup(journal);

  const paused = await o.execute("launch", { saveStateTo: stateFile });
  assert.equal(paused.paused, true);
  assert.equal(paused.success, false);
  assert.equal(paused.cancelled, false);
  assert.match(paused.pauseReason!, /waits for approval/);
  const pending = [...paused.pendingApprovals].sort((x, y) => x.stepId.localeCompare(y.stepId));
  assert.deepEqual(pending, [
    { stepId: "a", agent: "Ask", message: "Publish a?", payload: { intent: "pre branch a" } },
    { stepId: "b", agent: "Ask", message: "Publish b?", payload: { intent: "pre branch b" } },
  ]);
  const status = Object.fromEntries(paused.steps.map((s) => [s.stepId, s.status]));
  // A pause holds back only the paused steps' dependents: independent work is done by now.
  assert.deepEqual(status, { pre: "completed", a: "paused", b: "paused", joined: "pending", after_a: "pending", independent: "completed" });
  const saved = await readStateFile(stateFile);
  assert.deepEqual(saved.pendingApprovals.map((p) => p.stepId).sort(), ["a", "b"]);

  const resumed = await o.execute("launch", {
    resumeFrom: stateFile, saveStateTo: stateFile,
    approvals: { a: { approved: true, note: "looks good" }, b: { approved: false, note: "not this one" } },
  });
  const after = Object.fromEntries(resumed.steps.map((s) => [s.stepId, s]));
  assert.equal(resumed.paused, false);
  assert.equal(after.pre!.status, "completed");
  assert.equal(after.a!.status, "completed");
  assert.deepEqual(resumed.context.get("a_out"), { stepId: "a", decision: { approved: true, note: "looks good" } });
  assert.equal(after.b!.status, "failed");
  assert.equal(after.b!.error?.name, "ApprovalRejectedError");
  assert.match(after.b!.error!.message, /rejected by its approver: not this one/);
  assert.equal(after.joined!.status, "skipped");
  assert.equal(after.after_a!.status, "completed");
  assert.equal((resumed.context.get("after_a_out") as { intent: string }).intent, "looks good");
  assert.equal(after.independent!.status, "completed");
  // pre ran once in all; a ran before the pause and once more, answered; b was not run again.
  const runs = readFileSync(journal, "utf8").trim().split("\n");
  assert.deepEqual(runs.filter((r) => r === "pre"), ["pre"]);
  assert.deepEqual(runs.filter((r) => r === "a"), ["a", "a"]);
  assert.deepEqual(runs.filter((r) => r === "b"), ["b"]);
  assert.equal(resumed.stepsExecuted, 2);
});

test("approvals for unknown or not-paused steps get InvalidApprovalError", async () => {
  const journal = join(dir, "journal-2");
  writeFileSync(journal, "");
  const stateFile = join(dir, "paused-2.state");
  const o = setup(journal);
  await o.execute("launch", { saveStateTo: stateFile });
  await assert.rejects(o.execute("launch", { resumeFrom: stateFile, approvals: { pre: { approved: true } } }), (e: unknown) =>
    e instanceof InvalidApprovalError && /step pre, which is not paused in the state \(paused: a, b\)/.test(e.message));
  await assert.rejects(o.execute("launch", { resumeFrom: stateFile, approvals: { ghost: { approved: true } } }), InvalidApprovalError);
  await assert.rejects(o.execute("launch", { approvals: { a: { approved: true } } }), /pass approvals together with resumeFrom/);
  // @ts-expect-error: approved must be a boolean
  await assert.rejects(o.execute("launch", { resumeFrom: stateFile, approvals: { a: { approved: "yes" } } }), InvalidApprovalError);
});

test("resuming without answers pauses again on the same requests", async () => {
  const journal = join(dir, "journal-3");
  writeFileSync(journal, "");
  const stateFile = join(dir, "paused-3.state");
  const o = setup(journal);
  await o.execute("launch", { saveStateTo: stateFile });
  const again = await o.execute("launch", { resumeFrom: stateFile });
  assert.equal(again.paused, true);
  assert.deepEqual(again.pendingApprovals.map((p) => p.stepId).sort(), ["a", "b"]);
});

test("a live onApproval handler answers each request; the agent gets the answer and goes on", async () => {
  const journal = join(dir, "journal-4");
  writeFileSync(journal, "");
  const o = setup(journal);
  const result = await o.execute("launch", { onApproval: ({ stepId }) => ({ approved: stepId === "a", note: `decided ${stepId}` }) });
  assert.equal(result.success, true);
  assert.deepEqual(result.context.get("a_out"), { stepId: "a", decision: { approved: true, note: "decided a" } });
  assert.deepEqual(result.context.get("b_out"), { stepId: "b", decision: { approved: false, note: "decided b" } });
});
