// forEach on real threads: a step runs once per item of a list another step produced (or an input),
// each item a unit of its own (record, events, output under `key[i]`), the array of outputs under
// the step's key when all are done; forEachConcurrency, a value that is not a list, an empty list,
// and a failed item (finished items kept, saved, and not run again on resume).
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ParallelOrchestrator, type RunEvent, type StrategyMap } from "wavepool";
import { readStateFile } from "../src/run/state-file.js";
import { agent, strategyOf } from "./helpers.js";

const dir = await mkdtemp(join(tmpdir(), "wavepool-foreach-"));
let files = 0;

function setup(strategy: StrategyMap, threads = 2): { o: ParallelOrchestrator; ran: () => string[] } {
  const file = join(dir, `ran-${files++}`);
  writeFileSync(file, "");
  const o = new ParallelOrchestrator(strategy, { threads })
    .addAgent("Json", agent("json"))
    .addAgent("Echo", agent("echo"))
    .addAgent("Items", { module: agent("items"), options: { file } });
  after(() => o.close());
  return { o, ran: () => readFileSync(file, "utf8").split("\n").filter(Boolean) };
}

type Out = { intent: string; inputs: Record<string, unknown> };

test("a forEach step runs once per item of a list a step produced; each item's output is there at once, the list when all are done", async () => {
  const strategy = strategyOf(
    ["plan", "Json", '{"topics": ["rust", "wasm", "gc", "simd"]}', "plan"],
    ["research", "Items", "{{ item }}#{{ index }}", "notes", { forEach: "plan.topics" }],
    ["write", "Echo", "{{ notes | size }} notes, first {{ notes[0].intent }}, last {{ notes[3].intent }}", "article"],
  );
  const { o, ran } = setup(strategy);
  const events: RunEvent[] = [];
  const result = await o.execute("t", { onEvent: (e) => events.push(e) });
  assert.equal(result.success, true, JSON.stringify(result.error));
  assert.deepEqual(result.steps.map((s) => s.stepId), ["plan", "research", "research[0]", "research[1]", "research[2]", "research[3]", "write"]);
  const research = result.steps[1]!;
  assert.equal(research.status, "completed");
  assert.equal(research.items, 4);
  const items = result.steps.slice(2, 6);
  assert.deepEqual(items.map((r) => [r.parent, r.item, r.status, r.outputKey, r.attempts]), [0, 1, 2, 3].map((k) => ["research", k, "completed", `notes[${k}]`, 1]));
  assert.ok(research.startedAt! <= Math.min(...items.map((r) => r.startedAt!)) && research.endedAt! >= Math.max(...items.map((r) => r.endedAt!)));
  const notes = result.context.get("notes") as Out[];
  assert.deepEqual(notes.map((n) => n.intent), ["rust#0", "wasm#1", "gc#2", "simd#3"]);
  assert.deepEqual(notes[2]!.inputs, { item: "gc", index: 2 });
  assert.deepEqual(result.context.get("notes[1]"), notes[1]);
  assert.equal((result.context.get("article") as Out).intent, "4 notes, first rust#0, last simd#3");
  assert.deepEqual(ran().sort(), ["research[0]", "research[1]", "research[2]", "research[3]"]);
  const itemEnds = events.filter((e): e is Extract<RunEvent, { type: "step:end" }> => e.type === "step:end" && e.parent === "research");
  assert.deepEqual(itemEnds.map((e) => e.item).sort(), [0, 1, 2, 3]);
  assert.ok(events.some((e) => e.type === "step:end" && e.stepId === "research" && e.status === "completed"));
  const fanStart = events.find((e): e is Extract<RunEvent, { type: "step:start" }> => e.type === "step:start" && e.stepId === "research");
  assert.deepEqual(fanStart && [fanStart.attempt, fanStart.items], [0, 4]);
  assert.ok(events.indexOf(fanStart!) < events.findIndex((e) => e.type === "step:start" && e.parent === "research"), "the fan-out starts before its items");
  assert.equal(result.stepsExecuted, 3);
});

test("forEachConcurrency 1 runs the items one after another, in list order; an input list works too", async () => {
  const strategy = strategyOf(["each", "Items", "{{ item }}", "each", { forEach: "names", forEachConcurrency: 1 }]);
  const { o, ran } = setup(strategy);
  const result = await o.execute("t", { inputs: { names: ["a", "b", "c", "d", "e"] } });
  assert.equal(result.success, true);
  assert.deepEqual(ran(), ["each[0]", "each[1]", "each[2]", "each[3]", "each[4]"]);
  const items = result.steps.filter((s) => s.parent === "each");
  for (let k = 1; k < items.length; k++) assert.ok(items[k]!.startedAt! >= items[k - 1]!.endedAt!, `item ${k} started after item ${k - 1} ended`);
});

test("a forEach over something that is not a list fails the step naming its type; an empty list completes with []", async () => {
  const strategy = strategyOf(
    ["plan", "Json", '{"topics": "not a list", "none": []}', "plan"],
    ["bad", "Items", "{{ item }}", "bad", { forEach: "plan.topics" }],
    ["after_bad", "Echo", "{{ bad }}"],
    ["empty", "Items", "{{ item }}", "empty", { forEach: "plan.none" }],
    ["after_empty", "Echo", "{{ empty | size }}"],
  );
  const { o, ran } = setup(strategy);
  const result = await o.execute("t");
  const byId = new Map(result.steps.map((s) => [s.stepId, s]));
  assert.equal(byId.get("bad")!.status, "failed");
  assert.equal(byId.get("bad")!.error!.code, "WAVEPOOL_STRATEGY_INVALID");
  assert.match(byId.get("bad")!.error!.message, /forEach expression of step bad \(plan\.topics\) gave a string \("not a list"\), not an array/);
  assert.equal(byId.get("after_bad")!.skipReason, "dependency");
  assert.equal(byId.get("empty")!.status, "completed");
  assert.deepEqual(result.context.get("empty"), []);
  assert.equal((result.context.get("after_empty_out") as Out).intent, "0");
  assert.deepEqual(ran(), []);
});

test("a failed item fails its step and skips its dependents; finished items are kept and saved, and a resume runs only the rest", async () => {
  const strategy = strategyOf(
    ["each", "Items", "{{ item }}", "each", { forEach: "names" }],
    ["after_each", "Echo", "{{ each | size }}"],
  );
  const file = join(dir, "fan.state");
  const first = setup(strategy);
  const failed = await first.o.execute("t", { inputs: { names: ["a", "b", "fail", "d"] }, saveStateTo: file });
  const byId = new Map(failed.steps.map((s) => [s.stepId, s]));
  assert.equal(failed.success, false);
  assert.equal(byId.get("each")!.status, "failed");
  assert.match(byId.get("each")!.error!.message, /item 2 of step each failed: .*item each\[2\] fails on purpose/);
  assert.equal(byId.get("each[2]")!.status, "failed");
  assert.deepEqual(["each[0]", "each[1]", "each[3]"].map((id) => byId.get(id)!.status), ["completed", "completed", "completed"]);
  assert.equal(byId.get("after_each")!.skipReason, "dependency");
  assert.deepEqual((failed.context.get("each[3]") as Out).intent, "d");
  const saved = await readStateFile(file);
  assert.equal((saved.outputs.get("each[1]") as Out).intent, "b");
  assert.equal(saved.outputs.has("each[2]"), false);

  const second = setup(strategy);
  const resumed = await second.o.execute("t", { inputs: { names: ["a", "b", "c", "d"] }, resumeFrom: file, saveStateTo: file });
  assert.equal(resumed.success, true, JSON.stringify(resumed.error));
  assert.deepEqual(second.ran(), ["each[2]"]);
  assert.deepEqual((resumed.context.get("each") as Out[]).map((o) => o.intent), ["a", "b", "c", "d"]);
  assert.equal((resumed.context.get("after_each_out") as Out).intent, "4");
  const again = await readStateFile(file);
  assert.equal(again.steps.find((s) => s.stepId === "each")!.status, "completed");
});

test("each item has the step's timeout and retries: a hung item is stopped (its thread terminated), retried, and fails the step", async () => {
  const strategy = strategyOf(["spin", "Spin", "{{ item }}", "spun", { forEach: "work", timeoutMs: 300, retries: 1 }]);
  const o = new ParallelOrchestrator(strategy, { threads: 2 }).addAgent("Spin", agent("spin"));
  after(() => o.close());
  const result = await o.execute("t", { inputs: { work: ["spin 5", "spin forever", "spin 5"] } });
  const byId = new Map(result.steps.map((s) => [s.stepId, s]));
  assert.equal(byId.get("spin[1]")!.status, "timed_out");
  assert.equal(byId.get("spin[1]")!.attempts, 2);
  assert.deepEqual(byId.get("spin[1]")!.history.map((a) => a.status), ["timed_out", "timed_out"]);
  assert.equal(byId.get("spin[0]")!.status, "completed");
  assert.equal(byId.get("spin[2]")!.status, "completed");
  assert.equal(byId.get("spin")!.status, "failed");
  assert.match(byId.get("spin")!.error!.message, /item 1 of step spin timed out/);
  assert.equal(result.error?.code, "WAVEPOOL_STEP_TIMEOUT");
});

test("a fan-out's items reach the thread in the order simulate() gives them (one thread: priority alone decides)", async () => {
  const strategy = strategyOf(
    ["plan", "Json", '{"topics": ["a", "b", "c"]}', "plan", { cost: 1 }],
    ["research", "Echo", "{{ item }}", "notes", { forEach: "plan.topics", cost: 2 }],
    ["side", "Echo", "side", "side", { cost: 3 }],
    ["write", "Echo", "{{ notes | size }}", "article", { cost: 1 }],
  );
  const { simulate } = await import("wavepool");
  const predicted = simulate(strategy, { threads: 1, costs: { "research[*]": { items: 3, cost: 2 } } }).schedule.map((s) => s.stepId);
  const { o } = setup(strategy, 1);
  const started: string[] = [];
  const result = await o.execute("t", { onEvent: (e) => { if (e.type === "step:start" && e.attempt > 0) started.push(e.stepId); } });
  assert.equal(result.success, true);
  assert.deepEqual(predicted, ["plan", "research[0]", "research[1]", "research[2]", "side", "write"]);
  assert.deepEqual(started, predicted);
});

test("an item that asks for approval pauses its fan-out (the rest of the items finish); a resume with the item's approval completes it", async () => {
  const strategy = strategyOf(
    ["each", "Ask", "{{ item }}", "each", { forEach: "names" }],
    ["after_each", "Echo", "{{ each | size }}"],
  );
  const file = join(dir, "fan-approval.state");
  const o = new ParallelOrchestrator(strategy, { threads: 2 })
    .addAgent("Ask", agent("approve"))
    .addAgent("Echo", agent("echo"));
  after(() => o.close());
  const inputs = { names: ["a", "b"] };
  const paused = await o.execute("t", { inputs, saveStateTo: file });
  assert.equal(paused.paused, true);
  assert.deepEqual(paused.pendingApprovals.map((p) => p.stepId).sort(), ["each[0]", "each[1]"]);
  assert.equal(paused.steps.find((s) => s.stepId === "each")!.status, "paused");
  assert.equal(paused.steps.find((s) => s.stepId === "after_each")!.status, "pending");
  const done = await o.execute("t", { inputs, resumeFrom: file, approvals: { "each[0]": { approved: true }, "each[1]": { approved: true, note: "ok" } } });
  assert.equal(done.success, true, JSON.stringify(done.error));
  assert.deepEqual((done.context.get("each") as { approved: boolean }[]).map((d) => d.approved), [true, true]);
  assert.equal((done.context.get("after_each_out") as Out).intent, "2");
});
