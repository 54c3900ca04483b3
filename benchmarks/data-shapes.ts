// The outputs the data-once benchmark passes between steps: one value of a given shape whose
// serialised size is about a given number of bytes. Built the same way in a producer agent and on
// the main thread (for the structuredClone floor).
import { serialize } from "node:v8";

export const SHAPES = ["string", "bytes", "objects"] as const;
export type Shape = (typeof SHAPES)[number];

/** One record of the `objects` shape: a few fields of each common kind. */
function record(i: number): Record<string, unknown> {
  return { id: i, name: `item ${i}`, score: i / 7, done: i % 2 === 0, tags: ["alpha", "beta"] };
}

// Serialised bytes per record, measured once on a sample.
let recordBytes: number | undefined;

/** A value of `shape` whose `v8.serialize` size is about `bytes`. */
export function makeValue(shape: Shape, bytes: number): unknown {
  switch (shape) {
    case "string":
      return "x".repeat(bytes);
    case "bytes": {
      const data = new Uint8Array(bytes);
      for (let i = 0; i < bytes; i += 4096) data[i] = i & 0xff;
      return data;
    }
    case "objects": {
      recordBytes ??= serialize(Array.from({ length: 1000 }, (_, i) => record(i))).length / 1000;
      return Array.from({ length: Math.round(bytes / recordBytes) }, (_, i) => record(i));
    }
  }
}

/** How big a value of any shape is, as its reader checks it (characters, bytes or records). */
export function sizeOf(value: unknown): number {
  return (value as { length: number }).length;
}
