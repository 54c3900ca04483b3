// The bytes of any structured-clone-safe value: how an output crosses from its worker and on to every
// step that reads it (its SharedArrayBuffers passed beside the bytes, still shared), and how the state
// file keeps it (each SharedArrayBuffer snapshotted into the payload). `v8.serialize` copies each typed array apart (so
// views that shared a buffer no longer do) and refuses SharedArrayBuffers; this codec does neither.
import { Deserializer, Serializer } from "node:v8";

// Payload: u32 count of shared buffers, then for each a u64 byte length and its bytes (all big-endian),
// then the V8 value stream in which each shared buffer is a transferred buffer with its index as id.
const TAG_SHARED = 0x75; // 'u': V8's SharedArrayBuffer tag, followed by the id we returned
const TAG_TRANSFER = 0x74; // 't': V8's transferred ArrayBuffer tag, which a Deserializer can resolve

/**
 * A plain `v8.Serializer`: without host-object treatment V8 writes a view's buffer once and the view
 * as a reference into it, so views keep sharing their buffer. V8 asks for an id for each
 * SharedArrayBuffer and then writes its tag; the stream is cut there so the tag can be rewritten
 * (Node's Deserializer cannot resolve shared ids, but it can resolve transferred ones).
 */
class StateSerializer extends Serializer {
  readonly shared = new Map<SharedArrayBuffer, number>();
  readonly chunks: Buffer[] = [];

  // Called by V8 (through Node) right before it writes the SharedArrayBuffer tag.
  _getSharedArrayBufferId(buffer: SharedArrayBuffer): number {
    let id = this.shared.get(buffer);
    if (id === undefined) this.shared.set(buffer, (id = this.shared.size));
    this.chunks.push(this.releaseBuffer());
    return id;
  }
}

/** A value as a V8 stream and the SharedArrayBuffers it refers to by index. */
export interface EncodedParts {
  /**
   * Exactly sized, never written after `encodeParts` returns. From `SHARE_FROM_BYTES` on, its buffer
   * is a SharedArrayBuffer: posting it to any number of threads copies nothing.
   */
  stream: Uint8Array;
  shared: SharedArrayBuffer[];
}

/**
 * Streams from this size on are made in shared memory. Smaller ones are cheaper to copy than a
 * SharedArrayBuffer is to allocate (and a run of small steps makes many).
 */
export const SHARE_FROM_BYTES = 64 * 1024;

/**
 * How many values this thread has encoded and decoded with `encodeParts`/`decodeParts`. Not API:
 * tests read it to see that an output is serialised once, whatever its readers.
 */
export const codecCalls = { encodes: 0, decodes: 0 };

/** Encodes `value` into a stream that refers to its SharedArrayBuffers by index; throws if it cannot. */
export function encodeParts(value: unknown): EncodedParts {
  codecCalls.encodes++;
  const serializer = new StateSerializer();
  serializer.writeHeader();
  serializer.writeValue(value);
  const chunks = [...serializer.chunks, serializer.releaseBuffer()];
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const stream = new Uint8Array(length >= SHARE_FROM_BYTES ? new SharedArrayBuffer(length) : new ArrayBuffer(length));
  let at = 0;
  chunks.forEach((chunk, i) => {
    // Fail loudly rather than write a corrupt stream if a future V8 lays it out differently.
    if (i > 0 && chunk[0] !== TAG_SHARED) throw new Error("unexpected V8 serialisation layout around a SharedArrayBuffer");
    stream.set(chunk, at);
    if (i > 0) stream[at] = TAG_TRANSFER;
    at += chunk.length;
  });
  return { stream, shared: [...serializer.shared.keys()] };
}

/** Decodes a stream of `encodeParts` with the SharedArrayBuffers it refers to; throws on what it cannot read. */
export function decodeParts(stream: Uint8Array, shared: readonly SharedArrayBuffer[]): unknown {
  codecCalls.decodes++;
  const deserializer = new Deserializer(stream);
  if (!deserializer.readHeader()) throw new RangeError("the encoded value has no V8 header");
  // Node accepts a SharedArrayBuffer here at run time; its types only name ArrayBuffer.
  shared.forEach((buffer, id) => deserializer.transferArrayBuffer(id, buffer as unknown as ArrayBuffer));
  return deserializer.readValue();
}

// An object with no own enumerable data: its begin tag, its end tag, a property count of 0.
const DATALESS_OBJECT = Buffer.from([0x6f, 0x7b, 0x00]); // 'o', '{', 0

/**
 * Whether the stream may hold an object with no own data: `{}`, or a class instance whose state
 * structured clone cannot see (a `URL`, private fields), which would arrive as `{}`. The bytes are
 * searched, not parsed, so the bytes of a string or a buffer can also match: true means "look".
 */
export function mayHoldDatalessObject(stream: Uint8Array): boolean {
  return Buffer.from(stream.buffer, stream.byteOffset, stream.byteLength).indexOf(DATALESS_OBJECT) >= 0;
}

/** Encodes `value` (any structured-clone-safe value) into bytes that `decodeValue` restores. */
export function encodeValue(value: unknown): Buffer {
  return Buffer.concat(frameParts(encodeParts(value)));
}

/**
 * The bytes of `encodeValue` for a value already encoded, as chunks to write in order (`writev`) or
 * concatenate: nothing is serialised again, the stream is not copied. Each SharedArrayBuffer is
 * snapshotted now (its bytes as they are at this call).
 */
export function frameParts({ stream, shared }: EncodedParts): Uint8Array[] {
  const chunks: Uint8Array[] = [u32(shared.length)];
  for (const buffer of shared) {
    const length = Buffer.alloc(8);
    length.writeBigUInt64BE(BigInt(buffer.byteLength));
    chunks.push(length, Buffer.from(new Uint8Array(buffer))); // a snapshot of its bytes now
  }
  chunks.push(stream);
  return chunks;
}

/**
 * Decodes bytes written by `encodeValue`. Each SharedArrayBuffer comes back as a new one with the
 * saved bytes, shared by every view that shared it. Throws on bytes it cannot read.
 */
export function decodeValue(bytes: Buffer): unknown {
  const { stream, shared } = unframeParts(bytes);
  return decodeParts(stream, shared);
}

/**
 * The parts of bytes written by `encodeValue`, not decoded yet: what a value read from elsewhere (a
 * distributed run's Redis) is handed on as, to be decoded by whoever reads it. Throws on a bad frame.
 */
export function unframeParts(bytes: Buffer): EncodedParts {
  let offset = 0;
  const take = (length: number): Buffer => {
    if (length > bytes.length - offset) throw new RangeError("the encoded value is truncated");
    offset += length;
    return bytes.subarray(offset - length, offset);
  };
  const count = take(4).readUInt32BE(0);
  const shared: SharedArrayBuffer[] = [];
  for (let i = 0; i < count; i++) {
    const length = take(8).readBigUInt64BE(0);
    if (length > BigInt(bytes.length - offset)) throw new RangeError("the encoded value is truncated");
    const buffer = new SharedArrayBuffer(Number(length));
    new Uint8Array(buffer).set(take(Number(length)));
    shared.push(buffer);
  }
  return { stream: bytes.subarray(offset), shared };
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}
