// The journal's bytes (state file format version 3): CRC-32s as zlib computes them, a journal cut
// anywhere reads up to its last whole record (or, cut inside its header, is a StateMismatchError), a
// damaged record ends the state where it is, types a later wavepool adds are skipped, and
// SharedArrayBuffers stay one buffer across records.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import * as zlib from "node:zlib";
import { StateMismatchError } from "../src/errors.js";
import { encodeParts } from "../src/pool/value-codec.js";
import { tableCrc32 } from "../src/run/crc32.js";
import { encodeRecord, fileHeader, MAGIC, readRecords, SharedIds } from "../src/run/journal-format.js";
import { headerRecord, stepsRecord } from "../src/run/journal-records.js";
import { decodeState, readStateFile } from "../src/run/state-file.js";
import { header, record, tempDir } from "./fixtures/saved-state.js";

/** A journal of the header and one record per [stepId, output], as a run appends them. */
function journalOf(outputs: [string, unknown][]): Buffer {
  const ids = new SharedIds();
  const records = outputs.map(([id, value]) => stepsRecord({ steps: [record(id)], key: `${id}_out`, at: 2 }, encodeParts(value), ids));
  return Buffer.concat([fileHeader(), ...headerRecord(header(outputs.map(([id]) => record(id, "pending"))), ids), ...records.flat()]);
}

const mismatch = (pattern: RegExp) => (error: unknown): boolean => {
  assert.ok(error instanceof StateMismatchError, `expected StateMismatchError, got ${String(error)}`);
  assert.match(error.message, pattern);
  return true;
};

test("the CRC-32 of the records is zlib's, with or without zlib.crc32", () => {
  const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) & 0xff));
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  if (native !== undefined) {
    assert.equal(tableCrc32(bytes), native(bytes));
    assert.equal(tableCrc32(bytes.subarray(500), tableCrc32(bytes.subarray(0, 500))), native(bytes));
  }
  assert.equal(tableCrc32(Buffer.from("123456789")), 0xcbf43926, "the check value of CRC-32/ISO-HDLC");
});

test("a journal cut anywhere: a StateMismatchError inside its header record, else the state up to its last whole record", async (t) => {
  const dir = await tempDir(t);
  const outputs = new Map<string, unknown>([["a", "first"], ["b", new Map([["k", 2n]])], ["c", new Uint8Array(300).fill(3)]]);
  const bytes = journalOf([...outputs]);
  const headerEnd = readRecords(bytes).next().value!.end;
  const seen = new Set<number>();
  for (let cut = 0; cut < bytes.length; cut++) {
    const part = bytes.subarray(0, cut);
    if (cut < headerEnd) {
      assert.throws(() => decodeState(part), mismatch(cut === 0 || cut >= MAGIC.length ? /truncated/ : /truncated|not a wavepool state file/), `cut at ${cut}`);
      continue;
    }
    const state = decodeState(part);
    assert.deepEqual([...state.outputs.keys()], [...outputs.keys()].map((k) => `${k}_out`).slice(0, state.outputs.size), `cut at ${cut}`);
    for (const [key, value] of state.outputs) assert.deepEqual(value, outputs.get(key.slice(0, -"_out".length)));
    assert.equal(state.runId, "run");
    seen.add(state.outputs.size);
  }
  assert.deepEqual([...seen], [0, 1, 2], "every prefix of the records was read");
  assert.equal(decodeState(bytes).outputs.size, 3);
  const file = join(dir, "cut.state");
  await writeFile(file, bytes.subarray(0, headerEnd - 1));
  await assert.rejects(readStateFile(file), mismatch(new RegExp(`${file.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")} is truncated.*delete it`)));
});

test("a damaged record ends the state there; a type this wavepool does not know is skipped; a second header ends it", () => {
  const bytes = journalOf([["a", 1], ["b", 2], ["c", 3]]);
  const ends = [...readRecords(bytes)].map((r) => r.end);
  assert.equal(ends.length, 4);
  const damaged = Buffer.from(bytes);
  damaged[ends[1]! + 12] = damaged[ends[1]! + 12]! ^ 0x01; // inside b's record
  const state = decodeState(damaged);
  assert.deepEqual([...state.outputs], [["a_out", 1]]);
  assert.deepEqual(state.steps.map((s) => s.status), ["completed", "pending", "pending"]);

  const ids = new SharedIds();
  const later = encodeRecord(0x49, [encodeParts({ item: 0 })], ids); // 'I': a per-item record of a later wavepool
  const withItem = Buffer.concat([bytes.subarray(0, ends[1]), ...later, bytes.subarray(ends[1])]);
  assert.deepEqual([...decodeState(withItem).outputs.keys()], ["a_out", "b_out", "c_out"]);
  const twoHeaders = Buffer.concat([bytes.subarray(0, ends[1]), ...headerRecord(header(), ids), bytes.subarray(ends[1])]);
  assert.deepEqual([...decodeState(twoHeaders).outputs.keys()], ["a_out"]);
});

test("a SharedArrayBuffer in several records is one buffer when read, with the bytes it had when last written", () => {
  const shared = new SharedArrayBuffer(8);
  const counter = new Int32Array(shared);
  counter[0] = 1;
  const ids = new SharedIds();
  const head = headerRecord({ ...header(), inputs: { counter } }, ids);
  const first = stepsRecord({ steps: [], key: "first" }, encodeParts({ counter }), ids);
  counter[0] = 2;
  const second = stepsRecord({ steps: [], key: "second" }, encodeParts(shared), ids);
  const state = decodeState(Buffer.concat([fileHeader(), ...head, ...first, ...second]));
  const read = (state.outputs.get("first") as { counter: Int32Array }).counter;
  assert.equal(read.buffer, state.outputs.get("second"));
  assert.equal((state.inputs.counter as Int32Array).buffer, read.buffer);
  assert.equal(read[0], 2);
});
