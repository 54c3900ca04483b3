// Liquid expressions (forEach, when, repeat.until, terminations): what they read, their value and
// their truthiness on a corpus, checked against liquidjs itself where liquid has an answer, and
// the expressions liquid would silently misread refused when they are compiled.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Liquid, toValue } from "liquidjs";
import { compileExpression, expressionScope } from "../src/graph/expression.js";
import { TEMPLATE_LIMITS } from "../src/graph/template.js";

/** liquidjs as wavepool configures it, the reference for values. */
const liquid = new Liquid({ cache: false, renderLimit: TEMPLATE_LIMITS.renderMs, memoryLimit: TEMPLATE_LIMITS.memory, parseLimit: TEMPLATE_LIMITS.parse });

const scope = {
  review: { score: 0.5, verdict: "revise", tags: ["style", "facts"] },
  draft: { language: "fr", words: 1200, sections: [{ title: "Intro" }, { title: "Body" }] },
  outline: { topics: ["rust", "wasm", "embedded"], empty: [] },
  count: 0,
  emptyText: "",
  flag: false,
  missing: null,
  task: "Write about Rust",
};

/** [expression, reads, value, truthy] */
const corpus: [string, string[], unknown, boolean][] = [
  ["review.score < 0.8", ["review"], true, true],
  ["review.score >= 0.8", ["review"], false, false],
  ["draft.language == 'fr'", ["draft"], true, true],
  ["draft.language != \"fr\"", ["draft"], false, false],
  ["draft.words > 1000 and review.score < 0.8", ["draft", "review"], true, true],
  ["draft.words > 5000 or review.verdict == 'revise'", ["draft", "review"], true, true],
  ["review.tags contains 'facts'", ["review"], true, true],
  ["task contains 'Rust'", ["task"], true, true],
  ["review.tags contains 'tone'", ["review"], false, false],
  ["outline.topics", ["outline"], ["rust", "wasm", "embedded"], true],
  ["outline.topics | size", ["outline"], 3, true],
  ["outline.topics | first", ["outline"], "rust", true],
  ["outline.topics.size > 2", ["outline"], true, true],
  ["outline.topics[1]", ["outline"], "wasm", true],
  ["outline.topics | slice: 0, 2", ["outline"], ["rust", "wasm"], true],
  ["draft.sections | map: 'title'", ["draft"], ["Intro", "Body"], true],
  ["draft.sections[0].title", ["draft"], "Intro", true],
  ["outline.empty", ["outline"], [], true], // an empty array is truthy in liquid
  ["outline.empty == empty", ["outline"], true, true],
  ["count", ["count"], 0, true], // 0 is truthy in liquid
  ["emptyText", ["emptyText"], "", true], // so is ""
  ["emptyText == blank", ["emptyText"], true, true],
  ["flag", ["flag"], false, false],
  ["missing", ["missing"], null, false],
  ["missing == nil", ["missing"], true, true],
  ["nowhere", ["nowhere"], undefined, false],
  ["nowhere.deeper.still", ["nowhere"], undefined, false],
  ["not flag", ["flag"], true, true],
  ["review[draft.language]", ["review", "draft"], undefined, false],
  ["(1..3)", [], [1, 2, 3], true],
  ["'literal'", [], "literal", true],
  ["true", [], true, true],
  ["nil", [], null, false],
  ["review.score | times: 10 | round", ["review"], 5, true],
  ["outline.topics | join: ', ' | upcase", ["outline"], "RUST, WASM, EMBEDDED", true],
  ["outline.topics | where: 'x', draft.language", ["outline", "draft"], [], true],
];

for (const [text, reads, value, truthy] of corpus) {
  test(`expression ${text}: reads ${JSON.stringify(reads)}, value ${JSON.stringify(value)}, ${truthy ? "true" : "false"}`, () => {
    const expression = compileExpression(text);
    assert.equal(expression.text, text);
    assert.deepEqual(expression.reads, reads);
    assert.deepEqual(expression.evaluate(scope), value);
    assert.equal(expression.test(scope), truthy);
    // liquid's own evaluation of the text gives the same value (nil as liquid's NullDrop there).
    assert.deepEqual(toValue(liquid.evalValueSync(text, scope)), value);
  });
}

test("an expression is compiled once per text: the same object, its reads frozen", () => {
  const a = compileExpression("review.score < 0.8");
  assert.equal(compileExpression("review.score < 0.8"), a);
  assert.ok(Object.isFrozen(a.reads));
  assert.equal(a.test({ review: { score: 0.9 } }), false);
  assert.equal(a.test({ review: { score: 0.1 } }), true, "compiled once, evaluated with each scope");
});

test("only own properties are read, and a prototype-free scope works", () => {
  const x = compileExpression("data.constructor");
  assert.equal(x.evaluate({ data: {} }), undefined);
  const bare: Record<string, unknown> = Object.create(null);
  Object.defineProperty(bare, "constructor", { value: [1, 2], enumerable: true });
  assert.deepEqual(compileExpression("constructor | size").evaluate(bare), 2);
});

test("evaluation is bounded by the templates' memory limit", () => {
  const huge = compileExpression("(1..n) | size");
  assert.throws(() => huge.evaluate({ n: TEMPLATE_LIMITS.memory + 10 }), /memory alloc limit exceeded/);
  assert.equal(huge.evaluate({ n: 1000 }), 1000);
});

const refused: [string, RegExp][] = [
  ["", /invalid value expression/],
  ["a b", /expected one value, found 2 side by side/],
  ["a ==", /the operator "==" is missing an operand/],
  ["not", /the operator "not" is missing its operand/],
  ["a and", /"and" is missing an operand/],
  ["a, b", /unexpected ", b" after the expression "a"/],
  ["a )", /unexpected "\)"/],
  ["x == 'fr", /the string 'fr is not closed/],
  ["a | nosuchfilter", /unknown filter "nosuchfilter"/],
  ["a | upcas", /unknown filter "upcas"; did you mean "upcase"\?/],
  ["a | slice: 'x", /the string 'x is not closed/],
  ["a |", /a filter name is missing/],
  ["{{ a }}", /without \{\{ \}\}/],
  ["{% if a %}", /without \{\{ \}\}/],
  ["a[", /\[ not closed/],
  ["1 +", /expected "\|" before filter/],
];

for (const [text, message] of refused) {
  test(`compiling ${JSON.stringify(text)} is refused: ${message.source}`, () => {
    assert.throws(() => compileExpression(text), message);
  });
}

test("expressionScope reads each name from the locals first, else the context under its key", () => {
  const context = new Map<string, unknown>([["topic_a", { ok: true }], ["draft", "old"]]);
  const keyOf = (v: string) => (v === "step_1_output" ? "topic_a" : v);
  const until = compileExpression("draft == previous or iteration >= 3 or step_1_output.ok");
  const s = expressionScope(until.reads, keyOf, (key) => context.get(key), { draft: "new", previous: "old", iteration: 1 });
  assert.equal(Object.getPrototypeOf(s), null);
  assert.deepEqual({ ...s }, { draft: "new", previous: "old", iteration: 1, step_1_output: { ok: true } });
  assert.equal(until.test(s), true);
  assert.equal(until.test({ ...s, step_1_output: { ok: false } }), false);
});
