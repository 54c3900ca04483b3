// Resuming for real: an output holding a SharedArrayBuffer and views sharing a buffer is saved and
// restored, inputs named after Object.prototype members survive a resume, and a step named
// `__proto__` or `toString` asks a person like any other (its approval is looked up as its own).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ParallelOrchestrator } from "wavepool";
import { readStateFile } from "../src/run/state-file.js";
import { agent, strategyOf } from "./helpers.js";

const dir = await mkdtemp(join(tmpdir(), "wavepool-resume-values-"));
after(() => rm(dir, { recursive: true, force: true }));

const NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];

interface Buffers { shared: SharedArrayBuffer; counter: Int32Array; bytes: Uint8Array; floats: Float32Array; view: DataView }

function checkBuffers(value: Buffers, where: string): void {
  assert.ok(value.shared instanceof SharedArrayBuffer, where);
  assert.equal(value.counter.buffer, value.shared, where);
  assert.deepEqual([...value.counter], [41, 42], where);
  assert.equal(value.bytes.buffer, value.view.buffer, where);
  assert.equal(value.floats.buffer, value.view.buffer, where);
  assert.deepEqual([...value.bytes], [1, 2, 3, 4], where);
  assert.deepEqual([...value.floats], [1.5, -2.5], where);
}

test("a SharedArrayBuffer output is saved after its step and restored on resume, views still sharing", async () => {
  const stateFile = join(dir, "buffers.state");
  const strategy = strategyOf(["make", "Buffers", "make"], ["ask", "Approve", "{{ task }}"]);
  const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Buffers", agent("shared-buffers")).addAgent("Approve", agent("approve"));
  after(() => o.close());
  const paused = await o.execute("t", { saveStateTo: stateFile });
  assert.equal(paused.paused, true);
  checkBuffers(paused.context.get("make_out") as Buffers, "in memory");
  const saved = await readStateFile(stateFile);
  assert.equal(saved.steps.find((s) => s.stepId === "make")?.status, "completed");
  checkBuffers(saved.outputs.get("make_out") as Buffers, "in the state file");

  const resumed = await o.execute("t", { resumeFrom: stateFile, saveStateTo: stateFile, approvals: { ask: { approved: true } } });
  assert.equal(resumed.success, true);
  assert.equal(resumed.stepsExecuted, 1, "make is restored, not run again");
  checkBuffers(resumed.context.get("make_out") as Buffers, "restored");
  checkBuffers((await readStateFile(stateFile)).outputs.get("make_out") as Buffers, "saved again");
});

test("inputs named __proto__, constructor, toString, hasOwnProperty and valueOf survive a resume", async () => {
  const stateFile = join(dir, "inputs.state");
  const o = new ParallelOrchestrator(strategyOf(["ask", "Approve", "{{ task }}"]), { threads: 1 }).addAgent("Approve", agent("approve"));
  after(() => o.close());
  const inputs = JSON.parse('{"__proto__": {"deep": 1}, "constructor": "c", "toString": "t", "hasOwnProperty": "h", "valueOf": "v"}') as Record<string, unknown>;
  const paused = await o.execute("t", { saveStateTo: stateFile, inputs });
  assert.equal(paused.paused, true);
  const saved = await readStateFile(stateFile);
  for (const name of NAMES) assert.ok(Object.hasOwn(saved.inputs, name), `saved input ${name}`);

  const resumed = await o.execute("t", { resumeFrom: stateFile, saveStateTo: stateFile, approvals: { ask: { approved: true } } });
  assert.equal(resumed.success, true);
  assert.deepEqual(resumed.context.get("__proto__"), { deep: 1 });
  assert.deepEqual(NAMES.slice(1).map((name) => resumed.context.get(name)), ["c", "t", "h", "v"]);
  const again = await readStateFile(stateFile);
  for (const name of NAMES) assert.ok(Object.hasOwn(again.inputs, name), `input ${name} saved again after the resume`);
  assert.deepEqual(Object.getOwnPropertyDescriptor(again.inputs, "__proto__")?.value, { deep: 1 });
});

test("steps named __proto__, toString and constructor ask for approval; answers are matched as own properties", async () => {
  const stateFile = join(dir, "names.state");
  const strategy = strategyOf(["__proto__", "Approve", "p"], ["toString", "Approve", "s"], ["constructor", "Approve", "c"]);
  // Three threads: the three steps start in one pump, before the first of them pauses the run.
  const o = new ParallelOrchestrator(strategy, { threads: 3 }).addAgent("Approve", agent("approve"));
  after(() => o.close());
  const paused = await o.execute("t", { saveStateTo: stateFile });
  assert.equal(paused.paused, true);
  assert.deepEqual(paused.steps.map((s) => [s.stepId, s.status]), [["__proto__", "paused"], ["toString", "paused"], ["constructor", "paused"]]);
  assert.deepEqual(paused.pendingApprovals.map((p) => p.stepId).sort(), ["__proto__", "constructor", "toString"]);

  const approvals = JSON.parse('{"__proto__": {"approved": true, "note": "p"}, "toString": {"approved": false}, "constructor": {"approved": true}}');
  const resumed = await o.execute("t", { resumeFrom: stateFile, saveStateTo: stateFile, approvals });
  assert.deepEqual(resumed.steps.map((s) => [s.stepId, s.status]), [["__proto__", "completed"], ["toString", "failed"], ["constructor", "completed"]]);
  assert.deepEqual(resumed.context.get("__proto___out"), { approved: true, note: "p" });
  assert.equal(resumed.steps[1]!.error?.code, "WAVEPOOL_APPROVAL_REJECTED");
  const saved = await readStateFile(stateFile);
  assert.ok(Object.hasOwn(saved.approvals, "__proto__"));
  assert.deepEqual(saved.approvals["__proto__"], { approved: true, note: "p" });
});
