// The one walker that decides what may cross a thread, in its strict (agent options, inputs) and
// lenient (agent outputs) forms.
import assert from "node:assert/strict";
import { test } from "node:test";
import { findNotShareable } from "../src/pool/shareable.js";

class Point {
  constructor(readonly x = 1, readonly y = 2) {}
}

const rows: [string, unknown, string | undefined, string | undefined][] = [
  // what, value, strict result, lenient (output) result
  ["plain data", { a: [1, "s", null, true, 10n], d: new Date(0), r: /x/, m: new Map([["k", new Set([1])]]) }, undefined, undefined],
  ["typed arrays and buffers", { u: new Uint8Array(2), b: new ArrayBuffer(4), s: new SharedArrayBuffer(4) }, undefined, undefined],
  ["a function", { a: { b: () => 1 } }, "$.a.b", "$.a.b"],
  ["a symbol value", [Symbol("x")], "$[0]", "$[0]"],
  ["a promise", { p: Promise.resolve(1) }, "$.p", "$.p"],
  ["a weak map", { w: new WeakMap() }, "$.w", "$.w"],
  ["a class instance", { at: new Point() }, "$.at", undefined],
  ["a function inside a class instance", { at: Object.assign(new Point(), { f: () => 1 }) }, "$.at", "$.at.f"],
  ["a function as a Map value", new Map([["k", () => 1]]), "$.get(k)", "$.get(k)"],
  ["a symbol key", { [Symbol("k")]: 1 }, "$[Symbol(k)]", undefined],
];

for (const [what, value, strict, lenient] of rows) {
  test(`${what}: strict ${strict ?? "ok"}, outputs ${lenient ?? "ok"}`, () => {
    assert.equal(findNotShareable(value), strict);
    assert.equal(findNotShareable(value, "$", { classInstances: true }), lenient);
  });
}

test("cycles are walked once", () => {
  const a: Record<string, unknown> = { n: 1 };
  a.self = a;
  assert.equal(findNotShareable(a), undefined);
});
