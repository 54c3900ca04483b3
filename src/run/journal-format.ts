// The bytes of the state journal (state file format version 3): a file header, then records, each
// framed with its type, its lengths and CRC-32s, so that a reader knows where the last whole record
// ends and can ignore a tail that a crash cut short or a disk damaged. Values inside records are the
// value codec's V8 streams (../pool/value-codec.ts); SharedArrayBuffers get ids that hold across the
// records of one file, so one buffer in two outputs is still one buffer when the state is read.
import { decodeParts, type EncodedParts } from "../pool/value-codec.js";
import { crc32 } from "./crc32.js";

/** The state file's magic, shared by every format version. */
export const MAGIC = Buffer.from("WAVEPOOL-STATE\n", "latin1");
export const JOURNAL_VERSION = 3;
/** Magic, then the format version (u16, big-endian). */
export const FILE_HEADER_LENGTH = MAGIC.length + 2;

/**
 * Record types, one byte each. A reader skips a type it does not know (a later wavepool's records
 * that only save work, such as per-item records of fan-outs, 'I'); a change that an older reader must
 * not ignore takes a new format version instead.
 */
export const RecordType = {
  /** The run: fingerprint, task, inputs, approvals, every step record and pending approval. First, once. */
  header: 0x48, // 'H'
  /**
   * Steps that settled: their records, and the output of a completed one or the request of a paused
   * one. Also a `repeat` step's finished iteration, as the record of the step in progress (not
   * completed, `iterations` counting it, only its new attempts) with the iteration's output under the
   * step's output key: a wavepool from before iterations were saved ignores the record and keeps the
   * step as it was, to run again, and only loses that work.
   */
  steps: 0x53, // 'S'
} as const;

// Frame: u8 type, u32 head length, u32 tail length, u32 CRC-32 of the type, the lengths and the head,
// u32 CRC-32 of the tail; then the head and the tail (the payload, see recordParts). The tail, a
// step's output, has a checksum of its own so that whoever holds its bytes while they are hot (the
// step's worker, which serialised them) can compute it.
const FRAME_LENGTH = 17;
/** Neither part of a record's payload may pass this (their lengths are u32s). */
const MAX_PART = 0xffff_ffff;

/** The first bytes of every journal. */
export function fileHeader(): Buffer {
  const header = Buffer.alloc(FILE_HEADER_LENGTH);
  MAGIC.copy(header, 0);
  header.writeUInt16BE(JOURNAL_VERSION, MAGIC.length);
  return header;
}

/** Ids of the SharedArrayBuffers written to one journal, by identity. */
export class SharedIds {
  readonly #ids = new WeakMap<SharedArrayBuffer, number>();
  #next = 0;

  idOf(buffer: SharedArrayBuffer): number {
    let id = this.#ids.get(buffer);
    if (id === undefined) this.#ids.set(buffer, (id = this.#next++));
    return id;
  }
}

/**
 * The payload of a record in two parts: `tail`, the V8 stream of its last value (a step's output, as
 * its worker serialised it), and `head`, everything before it: each value's table of SharedArrayBuffers
 * (id, length, then a copy of the bytes as they are now) and stream length, and the streams of the
 * values before the last. Both are exactly sized, so their buffers can be moved to another thread;
 * the tail is not copied at all.
 */
export function recordParts(values: readonly EncodedParts[], ids: SharedIds): { head: Uint8Array; tail: Uint8Array } {
  const last = values.length - 1;
  if (last < 0) throw new RangeError("a record holds at least one value");
  let length = 0;
  values.forEach(({ stream, shared }, v) => {
    length += 12 + shared.length * 12 + (v < last ? stream.byteLength : 0);
    for (const buffer of shared) length += buffer.byteLength;
  });
  const tail = values[last]!.stream;
  if (length > MAX_PART || tail.byteLength > MAX_PART) {
    throw new RangeError(`a state record of ${length + tail.byteLength} bytes has a part over the limit of ${MAX_PART} bytes`);
  }
  const head = new Uint8Array(length);
  const view = new DataView(head.buffer);
  let at = 0;
  const u64 = (n: number): void => {
    view.setUint32(at, Math.floor(n / 2 ** 32));
    view.setUint32(at + 4, n >>> 0);
    at += 8;
  };
  values.forEach(({ stream, shared }, v) => {
    view.setUint32(at, shared.length);
    at += 4;
    for (const buffer of shared) {
      view.setUint32(at, ids.idOf(buffer));
      at += 4;
      u64(buffer.byteLength);
    }
    for (const buffer of shared) {
      head.set(new Uint8Array(buffer), at); // a snapshot of its bytes now
      at += buffer.byteLength;
    }
    u64(stream.byteLength);
    if (v < last) {
      head.set(stream, at);
      at += stream.byteLength;
    }
  });
  return { head, tail };
}

/** The frame of a record: its type, the lengths of its head and tail, and their checksums. */
export function frameOf(type: number, head: Uint8Array, tail: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_LENGTH);
  frame.writeUInt8(type, 0);
  frame.writeUInt32BE(head.byteLength, 1);
  frame.writeUInt32BE(tail.byteLength, 5);
  frame.writeUInt32BE(crc32(head, crc32(frame.subarray(0, 9))), 9);
  frame.writeUInt32BE(crc32(tail), 13);
  return frame;
}

/** The whole bytes of one record, in chunks ready for `writev`. */
export function encodeRecord(type: number, values: readonly EncodedParts[], ids: SharedIds): Uint8Array[] {
  const { head, tail } = recordParts(values, ids);
  return [frameOf(type, head, tail), head, tail];
}

/** Bytes a record of this payload takes in the file. */
export function recordLength(head: Uint8Array, tail: Uint8Array): number {
  return FRAME_LENGTH + head.byteLength + tail.byteLength;
}

/** Where the record that starts at `at` ends, as its frame says; Infinity if the frame itself is cut short. */
export function frameEnd(bytes: Buffer, at: number): number {
  if (bytes.length - at < FRAME_LENGTH) return Infinity;
  return at + FRAME_LENGTH + bytes.readUInt32BE(at + 1) + bytes.readUInt32BE(at + 5);
}

/** A record as read: its type, its payload, and where in the file it ends. */
export interface RawRecord {
  type: number;
  payload: Buffer;
  end: number;
}

/**
 * The whole records of a journal from `start` on, in order. Stops at the first record that is cut
 * short (a crash mid-write) or whose checksum does not match (damage): that record and everything
 * after it are not part of the state.
 */
export function* readRecords(bytes: Buffer, start: number = FILE_HEADER_LENGTH): Generator<RawRecord> {
  let at = start;
  while (bytes.length - at >= FRAME_LENGTH) {
    const type = bytes.readUInt8(at);
    const headEnd = at + FRAME_LENGTH + bytes.readUInt32BE(at + 1);
    const end = frameEnd(bytes, at);
    if (end > bytes.length) return;
    if (crc32(bytes.subarray(at + FRAME_LENGTH, headEnd), crc32(bytes.subarray(at, at + 9))) !== bytes.readUInt32BE(at + 9)) return;
    if (crc32(bytes.subarray(headEnd, end)) !== bytes.readUInt32BE(at + 13)) return;
    yield { type, payload: bytes.subarray(at + FRAME_LENGTH, end), end };
    at = end;
  }
}

/**
 * Decodes the values of a record's payload. `shared` holds the SharedArrayBuffers of the records read
 * before, by id: a buffer seen again gets the newer bytes, so every output that holds it sees the
 * bytes it had when it was last written. Throws on a payload it cannot read.
 */
export function decodeRecordValues(payload: Buffer, shared: Map<number, SharedArrayBuffer>): unknown[] {
  const values: unknown[] = [];
  let at = 0;
  const take = (length: number): Buffer => {
    if (length > payload.length - at) throw new RangeError("the record is shorter than its contents say");
    at += length;
    return payload.subarray(at - length, at);
  };
  while (at < payload.length) {
    const count = take(4).readUInt32BE(0);
    const table = take(count * 12);
    const buffers: SharedArrayBuffer[] = [];
    for (let i = 0; i < count; i++) {
      const id = table.readUInt32BE(i * 12);
      const bytes = take(safeLength(table.readBigUInt64BE(4 + i * 12)));
      let buffer = shared.get(id);
      if (buffer === undefined || buffer.byteLength !== bytes.length) shared.set(id, (buffer = new SharedArrayBuffer(bytes.length)));
      new Uint8Array(buffer).set(bytes);
      buffers.push(buffer);
    }
    const stream = take(safeLength(take(8).readBigUInt64BE(0)));
    values.push(decodeParts(stream, buffers));
  }
  return values;
}

function safeLength(length: bigint): number {
  if (length > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError("the record is shorter than its contents say");
  return Number(length);
}
