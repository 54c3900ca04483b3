// The value codec of the state file: what structured clone accepts comes back as structured clone
// would give it, SharedArrayBuffers included, and views that share a buffer still share it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeValue, encodeParts, encodeValue, frameParts, mayHoldDatalessObject } from "../src/pool/value-codec.js";

const roundTrip = <T>(value: T): T => decodeValue(encodeValue(value)) as T;

test("a SharedArrayBuffer comes back as a new SharedArrayBuffer with the same bytes, views on it too", () => {
  const shared = new SharedArrayBuffer(16);
  new Uint8Array(shared).set([...Array(16).keys()]);
  const value = { shared, again: shared, ints: new Int32Array(shared, 4, 2), bytes: new Uint8Array(shared), other: new Uint16Array(new SharedArrayBuffer(4)) };
  value.other.set([65535, 7]);
  const back = roundTrip(value);
  assert.ok(back.shared instanceof SharedArrayBuffer);
  assert.notEqual(back.shared, shared, "a snapshot, not the live memory");
  assert.deepEqual([...new Uint8Array(back.shared)], [...Array(16).keys()]);
  assert.equal(back.again, back.shared);
  assert.equal(back.ints.buffer, back.shared);
  assert.equal(back.bytes.buffer, back.shared);
  assert.deepEqual([back.ints.byteOffset, back.ints.length], [4, 2]);
  assert.deepEqual([...back.ints], [...value.ints]);
  assert.ok(back.other.buffer instanceof SharedArrayBuffer);
  assert.notEqual(back.other.buffer, back.shared);
  assert.deepEqual([...back.other], [65535, 7]);
  // Writes through one view are seen through the others: they share the new buffer.
  back.bytes[4] = 0xff;
  assert.equal(back.ints[0]! & 0xff, 0xff);
  // A SharedArrayBuffer alone, at the top.
  const top = roundTrip(shared);
  assert.ok(top instanceof SharedArrayBuffer);
  assert.deepEqual([...new Uint8Array(top)], [...new Uint8Array(shared)]);
});

test("typed arrays and DataViews that share one ArrayBuffer still share it (v8.serialize copies them apart)", () => {
  const buffer = new ArrayBuffer(16);
  const value = { buffer, bytes: new Uint8Array(buffer, 0, 8), floats: new Float64Array(buffer, 8, 1), view: new DataView(buffer, 4) };
  value.floats[0] = Math.PI;
  value.bytes.set([9, 8, 7, 6]);
  const back = roundTrip(value);
  assert.deepEqual(back, structuredClone(value));
  assert.equal(back.bytes.buffer, back.buffer);
  assert.equal(back.floats.buffer, back.buffer);
  assert.equal(back.view.buffer, back.buffer);
  assert.deepEqual([back.view.byteOffset, back.view.byteLength, back.floats.byteOffset], [4, 12, 8]);
  assert.equal(back.floats[0], Math.PI);
  back.view.setUint8(0, 42);
  assert.equal(back.bytes[4], 42);
});

test("every kind of structured-clone value comes back as structured clone gives it", () => {
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic.self = cyclic;
  const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
  const values: [string, unknown][] = [
    ["map", new Map<unknown, unknown>([["k", 1], [2, new Set(["x"])], [{ key: "object" }, [1]]])],
    ["set", new Set([1, "a", 2n, null])],
    ["date", new Date(1_700_000_000_123)],
    ["bigint", -(2n ** 130n)],
    ["regexp", /a+(b)?/giu],
    ["error", new RangeError("out of range", { cause: new TypeError("inner") })],
    ["cyclic", cyclic],
    ["buffer", Buffer.from("hello")],
    ["floats", new Float64Array([Math.PI, Number.NaN, -0])],
    ["bigints", new BigInt64Array([-1n, 2n ** 62n])],
    ["sparse", sparse],
    ["boxed", [new String("s"), new Number(1), new Boolean(false)]],
    ["numbers", [-0, Number.NaN, Infinity, 2 ** 53]],
    ["strings", ["", "é🙂", "\u0000"]],
    ["nothing", [null, undefined]],
  ];
  for (const [name, value] of values) {
    const back = roundTrip(value);
    assert.deepEqual(back, structuredClone(value), name);
    if (typeof value === "object" && value !== null) {
      assert.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(structuredClone(value)), `${name}: class`);
    }
  }
  const back = roundTrip(cyclic);
  assert.equal(back.self, back);
  assert.ok(Number.isNaN(roundTrip(new Date(Number.NaN)).getTime()), "an invalid Date stays invalid");
  const error = roundTrip(new RangeError("out of range", { cause: new TypeError("inner") }));
  assert.ok(error instanceof RangeError && error.cause instanceof TypeError);
  assert.equal(roundTrip(Buffer.from("hello")).constructor, Uint8Array, "a Buffer comes back as structured clone gives it");
});

test("keys named after Object.prototype members stay own properties", () => {
  const value = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "toString": 2, "hasOwnProperty": 3, "valueOf": 4}') as Record<string, unknown>;
  const back = roundTrip(value);
  for (const key of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]) assert.ok(Object.hasOwn(back, key), key);
  assert.equal(Object.getPrototypeOf(back), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(back, "__proto__")?.value, { polluted: true });
  assert.equal(({} as { polluted?: boolean }).polluted, undefined);
});

test("values structured clone refuses are refused, and bytes that were cut short throw", () => {
  assert.throws(() => encodeValue({ fn: () => 1 }), /could not be cloned/);
  assert.throws(() => encodeValue(Symbol("s")), /could not be cloned/);
  const bytes = encodeValue({ shared: new SharedArrayBuffer(64), text: "x".repeat(100) });
  for (const cut of [0, 3, 8, 20, 70, bytes.length - 1]) assert.throws(() => decodeValue(bytes.subarray(0, cut)), Error, `cut at ${cut}`);
});

test("frameParts gives the bytes of encodeValue from a value already encoded, without encoding it again", () => {
  const value = { text: "x".repeat(100_000), shared: new SharedArrayBuffer(8), list: [1, 2n, new Date(0)] };
  const parts = encodeParts(value);
  assert.ok(parts.stream.buffer instanceof SharedArrayBuffer);
  const framed = Buffer.concat(frameParts(parts));
  assert.deepEqual(framed, encodeValue(value));
  assert.deepEqual(decodeValue(framed), structuredClone(value));
});

test("mayHoldDatalessObject finds every object without own data, which a platform object serialises as", () => {
  const holds = (value: unknown) => mayHoldDatalessObject(encodeParts(value).stream);
  for (const value of [{}, [1, {}], { a: new URL("https://example.com") }, new Map([[1, new Headers()]]), { a: Object.create(null) }]) {
    assert.equal(holds(value), true, String(value));
  }
  for (const value of [{ a: 1 }, [1, "two", { three: 3 }], new Map([[1, { x: 1 }]]), "text", new Uint8Array(1000)]) {
    assert.equal(holds(value), false, String(value));
  }
});
