// State files of format versions 1 and 2, read so that a run saved by an earlier wavepool resumes:
// one snapshot of the whole state after a header of magic, version (u16), payload length (u64) and
// the payload's sha256, all big-endian. Version 1 payloads are `v8.serialize` of the state, version 2
// payloads `encodeValue` of it. They are no longer written: see ./journal-format.ts.
import { createHash } from "node:crypto";
import { deserialize } from "node:v8";
import { decodeValue } from "../pool/value-codec.js";
import { MAGIC } from "./journal-format.js";

export const SNAPSHOT_DECODERS: Readonly<Record<number, (payload: Buffer) => unknown>> = { 1: deserialize, 2: decodeValue };
const HEADER_LENGTH = MAGIC.length + 2 + 8 + 32;

/** Decodes a snapshot file of `version` (1 or 2, already read from its header); fails through `fail`. */
export function decodeSnapshot(bytes: Buffer, version: number, fail: (why: string, cause?: unknown) => never): unknown {
  const decoder = SNAPSHOT_DECODERS[version]!;
  if (bytes.length < HEADER_LENGTH) fail(`is truncated (${bytes.length} bytes, shorter than its header)`);
  const expected = bytes.readBigUInt64BE(MAGIC.length + 2);
  const actual = BigInt(bytes.length - HEADER_LENGTH);
  if (actual < expected) fail(`is truncated (${actual} of ${expected} payload bytes)`);
  if (actual > expected) fail(`has ${actual - expected} bytes after its end`);
  const payload = bytes.subarray(HEADER_LENGTH);
  if (!createHash("sha256").update(payload).digest().equals(bytes.subarray(MAGIC.length + 10, HEADER_LENGTH))) {
    fail("is damaged (its checksum does not match its contents)");
  }
  try {
    return decoder(payload);
  } catch (error) {
    return fail("cannot be decoded", error);
  }
}
