// What the state file keeps: SharedArrayBuffers and views that share a buffer (since format version 2),
// names that collide with Object.prototype as own properties, files of version 1 still read, and a
// value that cannot be saved named by its output key.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { serialize } from "node:v8";
import { ParallelOrchestrator } from "wavepool";
import { encodeValue } from "../src/pool/value-codec.js";
import { decodeState, encodeState, readStateFile, type SavedRunState } from "../src/run/state-file.js";
import { writeStateFile } from "../src/run/state-journal.js";
import { agent, strategyOf } from "./helpers.js";

const MAGIC = "WAVEPOOL-STATE\n";
const NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "wavepool-state-values-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function stateOf(outputs: Map<string, unknown>, inputs: Record<string, unknown> = { audience: "engineers" }): SavedRunState {
  return {
    format: "wavepool-state", version: 1, fingerprint: "f".repeat(64), runId: "run-1", task: "write", inputs, outputs,
    steps: [{ stepId: "s", agent: "A", outputKey: "s_out", status: "completed", wave: 0, threadId: 1, durationMs: 1, attempts: 1, history: [] }],
    pendingApprovals: [], approvals: {}, savedAt: 1_700_000_000_000,
  };
}

/** A state file as wavepool wrote it before version 3: the header, then `v8.serialize` (1) or `encodeValue` (2) of the state. */
function versionOneFile(state: SavedRunState, version = 1): Buffer {
  const payload = version === 1 ? serialize(state) : encodeValue(state);
  const header = Buffer.alloc(MAGIC.length + 42);
  header.write(MAGIC, "latin1");
  header.writeUInt16BE(version, MAGIC.length);
  header.writeBigUInt64BE(BigInt(payload.length), MAGIC.length + 2);
  createHash("sha256").update(payload).digest().copy(header, MAGIC.length + 10);
  return Buffer.concat([header, payload]);
}

test("a SharedArrayBuffer output, and views sharing one buffer, are saved and restored with their bytes", async (t) => {
  const file = join(await tempDir(t), "run.state");
  const shared = new SharedArrayBuffer(8);
  const counter = new Int32Array(shared);
  counter.set([41, 42]);
  const plain = new ArrayBuffer(12);
  const value = { shared, counter, bytes: new Uint8Array(plain, 0, 4), floats: new Float32Array(plain, 4, 2), view: new DataView(plain) };
  value.bytes.set([1, 2, 3, 4]);
  value.floats.set([1.5, -2.5]);
  await writeStateFile(file, stateOf(new Map<string, unknown>([["buffers", value], ["alone", shared]])));
  assert.equal((await readFile(file)).readUInt16BE(MAGIC.length), 3, "new files are format version 3, a journal");

  const back = (await readStateFile(file)).outputs;
  const restored = back.get("buffers") as typeof value;
  assert.ok(restored.shared instanceof SharedArrayBuffer);
  assert.equal(restored.counter.buffer, restored.shared);
  assert.deepEqual([...restored.counter], [41, 42]);
  assert.equal(back.get("alone"), restored.shared, "one SharedArrayBuffer in two outputs stays one");
  assert.equal(restored.bytes.buffer, restored.view.buffer);
  assert.equal(restored.floats.buffer, restored.view.buffer);
  assert.deepEqual([...restored.bytes], [1, 2, 3, 4]);
  assert.deepEqual([...restored.floats], [1.5, -2.5]);
  restored.view.setUint8(0, 99);
  assert.equal(restored.bytes[0], 99, "a write through one view shows through the others");
});

test("a state file of format version 1 is still read", async (t) => {
  const file = join(await tempDir(t), "old.state");
  const outputs = new Map<string, unknown>([
    ["table", new Map([["a", 1]])], ["when", new Date(86_400_000)], ["big", 2n ** 70n],
    ["bytes", new Uint8Array([7, 8, 9])], ["text", "hello"],
  ]);
  const state = stateOf(outputs, { audience: "engineers" });
  await writeFile(file, versionOneFile(state));
  const back = await readStateFile(file);
  assert.deepEqual(back, state);
  assert.deepEqual(decodeState(versionOneFile(state)), state);
});

test("inputs, outputs and approvals named after Object.prototype members survive a round trip as own properties", () => {
  const inputs = JSON.parse('{"__proto__": {"deep": 1}, "constructor": "c", "toString": "t", "hasOwnProperty": "h", "valueOf": "v"}') as Record<string, unknown>;
  const approvals = Object.create(null) as SavedRunState["approvals"];
  for (const name of NAMES) Object.defineProperty(approvals, name, { value: { approved: true, note: name }, enumerable: true });
  const state = { ...stateOf(new Map(NAMES.map((name) => [name, { from: name }])), inputs), approvals };
  const back = decodeState(encodeState(state));
  for (const name of NAMES) {
    assert.ok(Object.hasOwn(back.inputs, name), `input ${name}`);
    assert.deepEqual(back.outputs.get(name), { from: name }, `output ${name}`);
    assert.ok(Object.hasOwn(back.approvals, name), `approval ${name}`);
    assert.deepEqual(back.approvals[name], { approved: true, note: name });
  }
  assert.deepEqual(Object.getOwnPropertyDescriptor(back.inputs, "__proto__")?.value, { deep: 1 });
  assert.equal(Object.getPrototypeOf(back.inputs), Object.prototype, "the input did not become the prototype");
});

test("a state whose fields come only from a prototype is not a state", () => {
  const state = stateOf(new Map());
  const hollow = Object.create(state) as SavedRunState;
  assert.throws(() => encodeState(hollow), /format should be "wavepool-state"/);
});

test("an output that cannot be saved is named in the error, and no file is written", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "run.state");
  const outputs = new Map<string, unknown>([["fine", 1], ["report", { handler: () => 1 }]]);
  await assert.rejects(writeStateFile(file, stateOf(outputs)), { name: "TypeError", message: /^the output report cannot be saved in a state file: / });
  await assert.rejects(readFile(file), { code: "ENOENT" });
});

test("a run saved by an earlier wavepool (format 1 or 2) resumes, and its state file becomes a journal", async (t) => {
  const dir = await tempDir(t);
  const o = new ParallelOrchestrator(strategyOf(["a", "Echo", "a"], ["b", "Echo", "{{ a_out.intent }}"]), { threads: 1 }).addAgent("Echo", agent("echo"));
  t.after(() => o.close());
  const file = join(dir, "run.state");
  await o.execute("t", { saveStateTo: file });
  // The state as it was once `a` had completed, written the old way.
  const done = await readStateFile(file);
  const halfway: SavedRunState = {
    ...done, outputs: new Map([["a_out", done.outputs.get("a_out")]]),
    steps: [done.steps[0]!, { ...done.steps[1]!, status: "pending", attempts: 0, history: [] }],
  };
  for (const version of [1, 2]) {
    await writeFile(file, versionOneFile(halfway, version));
    assert.deepEqual(await readStateFile(file), halfway, `version ${version}`);
    const resumed = await o.execute("t", { resumeFrom: file, saveStateTo: file });
    assert.equal(resumed.success, true);
    assert.equal(resumed.stepsExecuted, 1, `version ${version}: only b runs`);
    assert.equal((await readFile(file)).readUInt16BE(MAGIC.length), 3);
    assert.deepEqual((await readStateFile(file)).outputs.get("b_out"), resumed.context.get("b_out"));
  }
});
