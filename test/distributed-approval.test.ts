// Approval in a distributed run, as in a local one: a remote agent's request (its payload typed)
// answered by onApproval (approve, reject, a handler that throws), or a pause with its request in
// pendingApprovals and the state file, independent work drained, and a resume with approvals; a
// cancel reaches an agent that waits for its answer. Real Redis, real `wavepool worker` processes.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Redis } from "ioredis";
import { ParallelOrchestrator, ParallelOrchestratorConfig, type ApprovalRequestEvent, type StrategyMap } from "wavepool";
import { readStateFile } from "../src/run/state-file.js";
import { callSender } from "../src/distributed/call-stream.js";
import { callsKey, jobIdOf } from "../src/distributed/job-data.js";
import { agent, strategyOf } from "./helpers.js";
import { leftovers, NOTHING } from "./fixtures/redis-keys.js";
import { redisMissing, type WorkerProcess } from "./fixtures/redis-server.js";
import { redisSuite } from "./fixtures/redis-suite.js";

const missing = redisMissing();
const dir = mkdtempSync(join(tmpdir(), "wavepool-remote-approval-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** pre -> a (asks) -> after_a; b (asks); independent: the approval strategy of approval.test.ts, with typed payloads. */
function approvalStrategy(): StrategyMap {
  return strategyOf(
    ["pre", "Sleep", "sleep 5 {{ task }}", "prepared"],
    ["a", "Ask", "{{ prepared }} branch a"],
    ["b", "Ask", "branch b"],
    ["after_a", "Sleep", "sleep 1 {{ a_out.decision.note }}"],
    ["independent", "Sleep", "sleep 20 no approval needed"],
  );
}

describe("distributed runs: approval", { skip: missing }, () => {
  const redis = redisSuite();

  const workerOn = (queue: string, args?: string[]): Promise<WorkerProcess> => redis.workerOn(queue, args);

  function remote(strategy: StrategyMap, queue: string, config = new ParallelOrchestratorConfig()): ParallelOrchestrator {
    return new ParallelOrchestrator(strategy, redis.onQueue(queue, config));
  }

  function withApprovalAgents(o: ParallelOrchestrator): ParallelOrchestrator {
    return o.addAgent("Sleep", agent("sleep")).addAgent("Ask", agent("ask-typed"));
  }

  test("onApproval answers a remote agent's request (typed payload), approve and reject, as in a local run", async (t) => {
    const queue = `approve-${randomUUID().slice(0, 8)}`;
    await workerOn(queue, ["--threads", "2"]);
    const local = withApprovalAgents(new ParallelOrchestrator(approvalStrategy(), { threads: 2 }));
    t.after(() => local.close());
    const o = withApprovalAgents(remote(approvalStrategy(), queue));
    t.after(() => o.close());
    const asked: ApprovalRequestEvent[] = [];
    const onApproval = async (request: ApprovalRequestEvent) => {
      asked.push(request);
      return request.stepId === "a" ? { approved: true, note: "looks good" } : { approved: false, note: "not this one" };
    };
    const expected = await local.execute("go", { onApproval });
    asked.length = 0;
    const result = await o.execute("go", { onApproval });
    assert.equal(result.success, true, JSON.stringify(result.steps.map((s) => s.error)));
    assert.deepEqual(result.context, expected.context);
    assert.deepEqual(result.context.get("a_out"), { stepId: "a", decision: { approved: true, note: "looks good" } });
    assert.deepEqual(result.context.get("b_out"), { stepId: "b", decision: { approved: false, note: "not this one" } });
    const a = asked.find((r) => r.stepId === "a")!;
    assert.equal(a.agent, "Ask");
    assert.equal(a.runId, result.runId);
    assert.equal(a.message, "Publish a?");
    const payload = a.payload as { draft: string; when: Date; table: Map<string, bigint>; bytes: Uint8Array };
    assert.equal(payload.draft, "sleep 5 go branch a");
    assert.ok(payload.when instanceof Date && payload.when.getTime() === 0);
    assert.ok(payload.table instanceof Map && payload.table.get("big") === 2n ** 70n);
    assert.ok(payload.bytes instanceof Uint8Array);
    assert.deepEqual([...payload.bytes], [1, 2, 3]);
    assert.deepEqual(asked.map((r) => r.stepId).sort(), ["a", "b"]);
    assert.deepEqual(await leftovers(redis.url, queue, [result.runId]), NOTHING);
  });

  test("without onApproval remote steps pause with their requests, independent work drains, and a resume with approvals ends as locally", async (t) => {
    const queue = `pause-${randomUUID().slice(0, 8)}`;
    await workerOn(queue, ["--threads", "2"]);
    const local = withApprovalAgents(new ParallelOrchestrator(approvalStrategy(), { threads: 2 }));
    t.after(() => local.close());
    const o = withApprovalAgents(remote(approvalStrategy(), queue));
    t.after(() => o.close());
    const localState = join(dir, `${queue}-local.state`);
    const remoteState = join(dir, `${queue}-remote.state`);
    const expected = await local.execute("go", { saveStateTo: localState });
    const paused = await o.execute("go", { saveStateTo: remoteState });

    assert.equal(paused.paused, true);
    assert.equal(paused.success, false);
    const byId = (list: { stepId: string }[]) => [...list].sort((x, y) => x.stepId.localeCompare(y.stepId));
    assert.deepEqual(byId(paused.pendingApprovals), byId(expected.pendingApprovals));
    const pendingA = paused.pendingApprovals.find((p) => p.stepId === "a")!;
    assert.equal(pendingA.message, "Publish a?");
    assert.ok((pendingA.payload as { table: Map<string, bigint> }).table.get("big") === 2n ** 70n);
    // One reason per paused step, in the order they paused (a and b may pause in either order).
    const reasons = (reason: string | undefined) => reason!.split("; ").sort();
    assert.deepEqual(reasons(paused.pauseReason), reasons(expected.pauseReason));
    assert.deepEqual(reasons(paused.pauseReason), ["step a waits for approval: Publish a?", "step b waits for approval: Publish b?"]);
    const statuses = (r: typeof paused) => Object.fromEntries(r.steps.map((s) => [s.stepId, s.status]));
    assert.deepEqual(statuses(paused), { pre: "completed", a: "paused", b: "paused", after_a: "pending", independent: "completed" });
    assert.deepEqual(statuses(paused), statuses(expected));
    const saved = await readStateFile(remoteState);
    assert.deepEqual(byId(saved.pendingApprovals), byId(paused.pendingApprovals));
    assert.deepEqual(await leftovers(redis.url, queue, [paused.runId]), NOTHING);

    const approvals = { a: { approved: true, note: "looks good" }, b: { approved: false, note: "not this one" } };
    const resumedLocal = await local.execute("go", { resumeFrom: localState, approvals });
    const resumed = await o.execute("go", { resumeFrom: remoteState, saveStateTo: remoteState, approvals });
    assert.deepEqual(statuses(resumed), { pre: "completed", a: "completed", b: "failed", after_a: "completed", independent: "completed" });
    assert.deepEqual(statuses(resumed), statuses(resumedLocal));
    assert.deepEqual(resumed.context, resumedLocal.context);
    const b = resumed.steps.find((s) => s.stepId === "b")!;
    assert.equal(b.error?.name, "ApprovalRejectedError");
    assert.match(b.error!.message, /rejected by its approver: not this one/);
    assert.deepEqual(resumed.context.get("a_out"), { stepId: "a", decision: { approved: true, note: "looks good" } });
    assert.equal(resumed.context.get("after_a_out"), "sleep 1 looks good");
    assert.deepEqual(await leftovers(redis.url, queue, [resumed.runId]), NOTHING);
  });

  test("an onApproval that throws fails the remote step as it fails a local one", async (t) => {
    const queue = `throws-${randomUUID().slice(0, 8)}`;
    await workerOn(queue);
    const strategy = strategyOf(["ask", "Ask", "x"]);
    const local = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Ask", agent("ask-typed"));
    t.after(() => local.close());
    const o = remote(strategy, queue).addAgent("Ask", agent("ask-typed"));
    t.after(() => o.close());
    // A malformed answer: the run's approval desk rejects it with a TypeError saying what to return.
    const onApproval = () => ({ approved: "yes" }) as unknown as { approved: boolean };
    const expected = (await local.execute("go", { onApproval })).steps[0]!;
    const step = (await o.execute("go", { onApproval })).steps[0]!;
    assert.equal(step.status, "failed");
    assert.equal(step.status, expected.status);
    assert.equal(step.error?.code, expected.error?.code);
    assert.match(step.error!.message, /onApproval must return \{ approved: boolean, note\?: string \}/);
    assert.equal(step.error!.message, expected.error!.message);
  });

  test("a cancel reaches a remote agent that waits for its approval; the worker lets go of the wait and serves the next run", async (t) => {
    const queue = `waiting-${randomUUID().slice(0, 8)}`;
    const worker = await workerOn(queue);
    const o = remote(strategyOf(["ask", "Ask", "x"]), queue).addAgent("Ask", agent("ask-typed"));
    t.after(() => o.close());
    const stop = new AbortController();
    // Nobody answers: the request is cancelled with its run.
    const result = await o.execute("go", {
      signal: stop.signal,
      onApproval: () => {
        stop.abort();
        return new Promise(() => undefined);
      },
    });
    assert.equal(result.cancelled, true);
    assert.equal(result.steps[0]!.status, "cancelled");
    assert.deepEqual(await leftovers(redis.url, queue, [result.runId]), NOTHING);
    // The worker's wait for the answer (a BLPOP on a connection of its own) ended with the step.
    const admin = new Redis(redis.url);
    t.after(() => admin.disconnect());
    assert.doesNotMatch(String(await admin.client("LIST")), /cmd=blpop/);
    const next = remote(strategyOf(["nap", "Sleep", "sleep 1"]), queue).addAgent("Sleep", agent("sleep"));
    t.after(() => next.close());
    const again = await next.execute("go");
    assert.equal(again.steps[0]!.status, "completed");
    assert.ok(again.steps[0]!.worker!.endsWith(`:${worker.pid}`));
  });
  test("a request in the run's stream from before a resume (an agent of a killed coordinator, still waiting) is asked once its job starts, not refused", async (t) => {
    const queue = `early-${randomUUID().slice(0, 8)}`;
    await workerOn(queue);
    const strategy = strategyOf(["a", "Ask", "first"], ["b", "Ask", "then {{ a_out.stepId }}"]);
    const o = withApprovalAgents(remote(strategy, queue));
    t.after(() => o.close());
    const state = join(dir, `${queue}.state`);
    const paused = await o.execute("go", { saveStateTo: state });
    assert.equal(paused.paused, true);
    // What b's agent would have asked under the coordinator that died: in the stream a resumed run
    // reads from its start, before b (waiting for a) is started again.
    const client = new Redis(redis.url);
    t.after(() => client.disconnect());
    const early = callSender(client, callsKey(queue, paused.runId), jobIdOf(paused.runId, "b", 1), 60_000, (m) => assert.fail(m));
    assert.ok(early.send(["approval", 1, 0, { message: "asked before the resume", payload: { n: 1 } }]));
    await early.flushed();

    const asked: string[] = [];
    const resumed = await o.execute("go", {
      resumeFrom: state,
      approvals: { a: { approved: true } },
      onApproval: (request) => {
        asked.push(`${request.stepId}: ${request.message}`);
        return { approved: true, note: "yes" };
      },
    });
    assert.equal(resumed.runId, paused.runId);
    assert.equal(resumed.success, true, JSON.stringify(resumed.steps.map((s) => s.error)));
    assert.deepEqual(resumed.context.get("b_out"), { stepId: "b", decision: { approved: true, note: "yes" } });
    assert.deepEqual(asked.sort(), ["b: Publish b?", "b: asked before the resume"]);
    assert.deepEqual(await leftovers(redis.url, queue, [resumed.runId]), NOTHING);
  });
});
