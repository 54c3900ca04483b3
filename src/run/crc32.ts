// CRC-32 (the zlib/PNG polynomial) of the state journal's records: what tells a record that was cut
// short or damaged from one that was written whole. Node's zlib computes it natively from 20.15 on;
// earlier Node 20 releases get the same value from a table, slower but compatible.
import * as zlib from "node:zlib";

type Crc32 = (data: Uint8Array, value?: number) => number;

const native = (zlib as { crc32?: Crc32 }).crc32;

let table: Uint32Array | undefined;

function tableCrc32(data: Uint8Array, value = 0): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = ~value >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** The CRC-32 of `data`, continuing from `value` (the CRC of the bytes before it). */
export const crc32: Crc32 = native ?? tableCrc32;

/** The table implementation, exported so that a test can check it against zlib's. */
export { tableCrc32 };
