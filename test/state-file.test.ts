// The durable state file: values round-trip, a journal cut short or damaged after its header reads up
// to its last whole record, anything else is a StateMismatchError, concurrent readers and a SIGKILL
// never see a state that is not whole, and fingerprints ignore key order.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serialize } from "node:v8";
import { StateMismatchError } from "../src/errors.js";
import { encodeParts, encodeValue } from "../src/pool/value-codec.js";
import type { StepRecord } from "../src/run/result.js";
import { assertStateMatches, decodeState, encodeState, readStateFile, strategyFingerprint, type SavedRunState } from "../src/run/state-file.js";
import { StateJournal, writeStateFile } from "../src/run/state-journal.js";

const MAGIC = "WAVEPOOL-STATE\n";

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "wavepool-state-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function step(stepId: string): StepRecord {
  return { stepId, agent: "EchoAgent", outputKey: `${stepId}_out`, status: "completed", wave: 0, threadId: 1,
    startedAt: 1, endedAt: 3, durationMs: 2, attempts: 1, history: [{ attempt: 1, status: "completed", threadId: 1, startedAt: 1, endedAt: 3 }] };
}

function stateOf(count: number, outputs = new Map<string, unknown>([["count", count]])): SavedRunState {
  return {
    format: "wavepool-state", version: 1, fingerprint: "f".repeat(64), runId: `run-${count}`, task: "write",
    inputs: { audience: "engineers" }, outputs, steps: [step("step_1")],
    pendingApprovals: [{ stepId: "step_2", agent: "ApproveAgent", message: "Publish?", payload: { draft: "d" } }],
    approvals: { step_0: { approved: true, note: "ok" } }, savedAt: 1_700_000_000_000 + count,
  };
}

/** Frames a payload the way format versions 1 and 2 did, so decoding can be tested on payloads encodeState refuses. */
function frame(payload: Buffer, version = 1): Buffer {
  const header = Buffer.alloc(MAGIC.length + 42);
  header.write(MAGIC, "latin1");
  header.writeUInt16BE(version, MAGIC.length);
  header.writeBigUInt64BE(BigInt(payload.length), MAGIC.length + 2);
  createHash("sha256").update(payload).digest().copy(header, MAGIC.length + 10);
  return Buffer.concat([header, payload]);
}

const mismatch = (pattern: RegExp) => (error: unknown): boolean => {
  assert.ok(error instanceof StateMismatchError, `expected StateMismatchError, got ${String(error)}`);
  assert.equal(error.code, "WAVEPOOL_STATE_MISMATCH");
  assert.match(error.message, pattern);
  return true;
};

test("outputs of any structured-clone-safe value round-trip through the file", async (t) => {
  const file = join(await tempDir(t), "run.state");
  const nested = { list: [1, "two", { three: [3n] }], when: new Date(86_400_000), re: /a+b/giu, nil: null, undef: undefined };
  const outputs = new Map<string, unknown>([
    ["map", new Map<unknown, unknown>([["k", 1], [2, new Set(["x"])]])],
    ["set", new Set([1, "a", 2n])],
    ["date", new Date(1_700_000_000_123)],
    ["bytes", new Uint8Array([0, 1, 255])],
    ["floats", new Float64Array([Math.PI, Number.NaN, -0])],
    ["big", 2n ** 100n],
    ["nested", nested],
    ["error", new RangeError("out of range", { cause: new Error("inner") })],
  ]);
  const state = stateOf(1, outputs);
  await writeStateFile(file, state);
  const back = await readStateFile(file);
  const { outputs: backOutputs, ...rest } = back;
  const { outputs: _outputs, ...expected } = state;
  assert.deepEqual(rest, expected);
  assert.deepEqual([...backOutputs.keys()], [...outputs.keys()]);
  for (const key of ["map", "set", "date", "bytes", "floats", "big", "nested"]) {
    assert.deepEqual(backOutputs.get(key), outputs.get(key), key);
  }
  assert.ok(backOutputs.get("bytes") instanceof Uint8Array);
  assert.ok(backOutputs.get("floats") instanceof Float64Array);
  const error = backOutputs.get("error");
  assert.ok(error instanceof RangeError);
  assert.equal(error.message, "out of range");
  assert.ok(error.cause instanceof Error);
  assert.equal(error.cause.message, "inner");
  assert.deepEqual(decodeState(encodeState(state)).outputs.get("nested"), nested);
});

test("a version 2 snapshot cut short is a StateMismatchError at every cut, never a raw decoding error", () => {
  const bytes = frame(encodeValue(stateOf(7)), 2);
  assert.deepEqual(decodeState(bytes), stateOf(7));
  for (const cut of [MAGIC.length + 2, MAGIC.length + 41, MAGIC.length + 42, MAGIC.length + 60, Math.floor(bytes.length / 2), bytes.length - 1]) {
    assert.throws(() => decodeState(bytes.subarray(0, cut)), mismatch(/truncated/));
  }
});

test("a file that is not a wavepool state, has a damaged header, or is of another version is a StateMismatchError", async (t) => {
  const dir = await tempDir(t);
  const json = join(dir, "state.json");
  await writeFile(json, JSON.stringify(stateOf(1)));
  await assert.rejects(readStateFile(json), mismatch(/state\.json is not a wavepool state file.*delete it or pass the state file written by this strategy/));
  await writeFile(json, "");
  await assert.rejects(readStateFile(json), mismatch(/truncated/));
  assert.throws(() => decodeState(serialize(stateOf(1))), mismatch(/not a wavepool state file/));

  const bytes = encodeState(stateOf(1));
  const damaged = Buffer.from(bytes);
  damaged[MAGIC.length + 30] = (damaged[MAGIC.length + 30] ?? 0) ^ 0xff;
  assert.throws(() => decodeState(damaged), mismatch(/damaged \(the checksum of its header record does not match/));
  const snapshot = frame(encodeValue(stateOf(1)), 2);
  const damagedSnapshot = Buffer.from(snapshot);
  damagedSnapshot[damagedSnapshot.length - 10] = (damagedSnapshot[damagedSnapshot.length - 10] ?? 0) ^ 0xff;
  assert.throws(() => decodeState(damagedSnapshot), mismatch(/damaged/));
  assert.throws(() => decodeState(Buffer.concat([snapshot, Buffer.from("x")])), mismatch(/1 bytes after its end/));

  const future = Buffer.from(bytes);
  future.writeUInt16BE(4, MAGIC.length);
  assert.throws(() => decodeState(future), mismatch(/format version 4; this wavepool reads versions 1 to 3/));
  assert.throws(() => decodeState(frame(serialize({ ...stateOf(1), version: 2 }))), mismatch(/version should be 1/));
  // A valid frame around bytes v8 cannot read: still a mismatch, with the v8 error as its cause.
  assert.throws(() => decodeState(frame(Buffer.from("{}"))), (error: unknown) => mismatch(/cannot be decoded/)(error) && (error as Error).cause instanceof Error);
});

test("a decoded state with a wrong shape is a StateMismatchError naming the field", () => {
  const { outputs: _outputs, ...noOutputs } = stateOf(1);
  assert.throws(() => decodeState(frame(serialize(noOutputs))), mismatch(/outputs should be a Map/));
  const badStep = { ...stateOf(1), steps: [{ ...step("s"), attempts: "1" }] };
  assert.throws(() => decodeState(frame(serialize(badStep)), "state file x"), mismatch(/^state file x .*steps\[0\]\.attempts should be a number/));
  const badApproval = { ...stateOf(1), approvals: { s: { approved: "yes" } } };
  assert.throws(() => decodeState(frame(serialize(badApproval))), mismatch(/approvals\.s\.approved should be a boolean/));
  assert.throws(() => decodeState(frame(serialize([1, 2]))), mismatch(/the state should be an object/));
  assert.throws(() => encodeState({ ...stateOf(1), runId: 7 } as unknown as SavedRunState), (error: unknown) => error instanceof TypeError && /state\.runId should be a string/.test(error.message));
});

test("a missing state file is a StateMismatchError that says what to do", async (t) => {
  const file = join(await tempDir(t), "nope.state");
  await assert.rejects(readStateFile(file), mismatch(/nope\.state does not exist; pass the file given as saveStateTo/));
});

test("a state that cannot be cloned is refused before any file is written", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "run.state");
  await assert.rejects(writeStateFile(file, stateOf(1, new Map([["fn", () => 1]]))), { name: "TypeError", message: /^the output fn cannot be saved in a state file: .*could not be cloned/ });
  assert.deepEqual(await readdir(dir), []);
});

test("200 records appended while 3 readers read the file: every read is a whole state, in order, and the last one stays", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "run.state");
  // A bulky output makes every write take a while, so a reader is likely to catch one half-done.
  const bulk = new Float64Array(64 * 1024).fill(Math.E);
  const journal = new StateJournal(file);
  await journal.open(stateOf(0, new Map<string, unknown>([["count", 0], ["bulk", bulk]])));
  let done = false;
  const read = async (): Promise<number[]> => {
    const seen: number[] = [];
    while (!done) {
      const state = await readStateFile(file); // a record half-written is not part of the state
      assert.deepEqual(state.outputs.get("bulk"), bulk);
      seen.push(state.outputs.get("count") as number);
    }
    return seen;
  };
  const readers = [read(), read(), read()];
  for (let count = 1; count <= 200; count++) {
    journal.append({ steps: [step(`s${count}`)], key: "count", at: count }, encodeParts(count));
    if (count % 4 === 0) journal.append({ steps: [], key: "bulk" }, encodeParts(bulk));
    // Wait for the disk now and then, so there are writes of one record and of several.
    if (count % 8 === 0) await new Promise<void>((resolve) => journal.whenWritten(resolve));
  }
  await journal.close(() => assert.fail("nothing failed: the journal needs no rewrite"));
  done = true;
  const seen = await Promise.all(readers);
  for (const one of seen) assert.deepEqual(one, [...one].sort((a, b) => a - b), "a reader went back in time");
  assert.ok(new Set(seen.flat()).size > 1, "the readers never saw a write land");
  const last = await readStateFile(file);
  assert.equal(last.outputs.get("count"), 200);
  assert.deepEqual(last.steps.map((s) => s.stepId), ["step_1", ...Array.from({ length: 200 }, (_, i) => `s${i + 1}`)]);
  assert.deepEqual(await readdir(dir), ["run.state"]);
});

test("fingerprints ignore key order and tell strategies apart; assertStateMatches checks them", () => {
  const a = { goal: "g", steps: [{ id: "s1", intent: "{{ task }}", output: "o1", dependsOn: ["x"] }, { id: "s2", output: "o2" }] };
  const reordered = { steps: [{ output: "o1", dependsOn: ["x"], intent: "{{ task }}", id: "s1" }, { output: "o2", id: "s2" }], goal: "g" };
  const fingerprint = strategyFingerprint(a);
  assert.match(fingerprint, /^[0-9a-f]{64}$/);
  assert.equal(strategyFingerprint(reordered), fingerprint);
  assert.notEqual(strategyFingerprint({ ...a, goal: "h" }), fingerprint);
  assert.notEqual(strategyFingerprint({ ...a, steps: [...a.steps].reverse() }), fingerprint, "step order is part of the strategy");
  const state = { ...stateOf(1), fingerprint };
  assertStateMatches(state, fingerprint);
  assert.throws(() => assertStateMatches(state, strategyFingerprint({ ...a, goal: "h" }), "state file run.state"),
    mismatch(/^state file run\.state was written by a different strategy .*delete it/));
});

test("SIGKILL during a stream of appends leaves a state file with every record reported written", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "run.state");
  const child = spawn(process.execPath, [fileURLToPath(new URL("./fixtures/state-writer-child.js", import.meta.url)), file], { stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => void child.kill("SIGKILL"));
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  const reported = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const counts = out.split("\n").filter(Boolean).map(Number);
      const latest = counts.at(-1) ?? 0;
      if (latest >= 10) {
        child.kill("SIGKILL");
        resolve(latest);
      }
    });
    child.on("exit", () => reject(new Error(`the child exited before writing 10 records: ${stderr}`)));
  });
  assert.equal(await exited, "SIGKILL");
  const state = await readStateFile(file);
  const latest = state.outputs.get("latest") as { count: number; bulk: Float64Array };
  assert.ok(latest.count >= reported, `a record reported written was lost: ${latest.count} < ${reported}`);
  assert.equal(latest.bulk.length, 128 * 1024);
  assert.ok(latest.bulk.every((x) => x === Math.PI));
  // The journal was renamed into place before the first append: nothing else is left beside it.
  assert.deepEqual(await readdir(dir), ["run.state"]);
  assert.ok((await readFile(file)).subarray(0, MAGIC.length).equals(Buffer.from(MAGIC)));
});
