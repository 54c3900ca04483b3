// The walker's rule for class instances in outputs, checked against what structured clone does in
// this Node: every value it refuses really is refused or mangled (arrives without its prototype and
// without data), and every class instance it keeps really keeps its data or its class.
import assert from "node:assert/strict";
import { createSecretKey } from "node:crypto";
import { test } from "node:test";
import { MessageChannel } from "node:worker_threads";
import { locateNotShareable } from "../src/pool/shareable.js";

class Secret {
  #value = 42;
  get value(): number { return this.#value; }
}
class Point {
  constructor(readonly x = 1, readonly y = 2) {}
  norm(): number { return Math.hypot(this.x, this.y); }
}
class Empty {}

const refused: [string, () => unknown][] = [
  ["Response", () => new Response("x")],
  ["Headers", () => new Headers({ a: "b" })],
  ["URL", () => new URL("https://example.com/")],
  ["URLSearchParams", () => new URLSearchParams("a=1")],
  ["AbortSignal", () => AbortSignal.abort()],
  ["AbortController", () => new AbortController()],
  ["Request", () => new Request("https://example.com/")],
  ["Event", () => new Event("x")],
  ["a class with private fields", () => new Secret()],
  ["MessagePort", () => new MessageChannel().port1],
  ["ReadableStream", () => new ReadableStream()],
];

const kept: [string, () => unknown][] = [
  ["a class instance with own fields", () => new Point()],
  ["an empty class instance", () => new Empty()],
  ["an Error", () => new TypeError("e")],
  ["a Blob", () => new Blob(["x"])],
  ["a KeyObject", () => createSecretKey(Buffer.from("k"))],
  ["a boxed number", () => new Number(1)],
];

function mangledOrRefused(value: unknown): boolean {
  let copy: unknown;
  try {
    copy = structuredClone(value);
  } catch {
    return true;
  }
  return Object.getPrototypeOf(copy) === Object.prototype && Object.keys(copy as object).length === 0;
}

for (const [what, make] of refused) {
  test(`${what} in an output is refused, and structured clone does refuse or mangle it`, () => {
    const value = make();
    assert.ok(mangledOrRefused(value), "the premise holds in this Node");
    assert.equal(locateNotShareable({ a: { b: value } }, "$", { classInstances: true })?.path, "$.a.b");
    (value as { close?: () => void }).close?.();
  });
}

for (const [what, make] of kept) {
  test(`${what} in an output is kept, and structured clone does keep it`, () => {
    const value = make();
    const copy = structuredClone(value) as object;
    assert.ok(Object.getPrototypeOf(copy) !== Object.prototype || Object.keys(copy).length === Object.keys(value as object).length);
    assert.equal(locateNotShareable({ a: { b: value } }, "$", { classInstances: true }), undefined);
  });
}

test("proxies are refused without running a trap, revoked ones too", () => {
  const trap = () => { throw new Error("trap ran"); };
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  for (const proxy of [new Proxy({}, { get: trap, getPrototypeOf: trap, ownKeys: trap }), revoked, new Proxy([1], {})]) {
    assert.equal(locateNotShareable({ p: proxy }, "$", { classInstances: true })?.path, "$.p");
    assert.equal(locateNotShareable({ p: proxy })?.path, "$.p");
  }
});

test("a getter that throws is located, not thrown", () => {
  const value = { a: Object.defineProperty({}, "b", { enumerable: true, get() { throw new Error("no"); } }) };
  assert.equal(locateNotShareable(value, "$", { classInstances: true })?.path, "$.a.b");
});
