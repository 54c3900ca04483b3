// Template analysis and rendering without a full liquid parse where none is needed: the plain-path
// scanner, the walk that replaces liquid's globalVariablesSync, and the cache of parsed templates
// must agree with liquidjs itself on a corpus of templates and values, and on random templates.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Liquid } from "liquidjs";
import { StrategyMap, StrategyStep, StrategyValidationError } from "wavepool";
import { liquidReads } from "../src/graph/liquid-reads.js";
import { TemplateCache } from "../src/graph/template-cache.js";
import { renderTemplate, TEMPLATE_LIMITS, templateKind, templateReads } from "../src/graph/template.js";
import { CORPUS, VALUES } from "./fixtures/template-corpus.js";
import { seededRandom } from "../benchmarks/random-dag.js";

/** liquidjs as wavepool configures it, used here as the reference. */
const liquid = new Liquid({
  cache: false, renderLimit: TEMPLATE_LIMITS.renderMs, memoryLimit: TEMPLATE_LIMITS.memory, parseLimit: TEMPLATE_LIMITS.parse,
});

type Outcome = { ok: true; value: unknown } | { ok: false; message: string };

function outcome(f: () => unknown): Outcome {
  try {
    return { ok: true, value: f() };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

/** Roots liquid reports, or its error. */
const liquidGlobals = (source: string) => outcome(() => liquid.globalVariablesSync(liquid.parse(source)));

/** Checks reads and renders of `source` against liquid, for every scope `scopes` makes. */
function agree(source: string, scopes: (names: readonly string[]) => Iterable<Record<string, unknown>>): void {
  const expected = liquidGlobals(source);
  const parsed = outcome(() => templateReads(source));
  assert.equal(parsed.ok, expected.ok, `${JSON.stringify(source)}: liquid ${JSON.stringify(expected)}, wavepool ${JSON.stringify(parsed)}`);
  if (!parsed.ok || !expected.ok) return;
  const reads = parsed.value as readonly string[];
  const kind = templateKind(source);
  assert.deepEqual(reads, expected.value, `reads of ${JSON.stringify(source)} (${kind})`);
  for (const scope of scopes(reads)) {
    const mine = outcome(() => renderTemplate(source, { ...scope }));
    const theirs = outcome(() => liquid.renderSync(liquid.parse(source), { ...scope }));
    assert.deepEqual(mine, theirs, `render of ${JSON.stringify(source)} (${kind}) with ${describe(scope)}`);
  }
}

/** The path `source` takes, or "error" when liquid does not accept it. */
function kindOf(source: string): string {
  return outcome(() => templateReads(source)).ok ? templateKind(source) : "error";
}

function describe(scope: Record<string, unknown>): string {
  return Object.entries(scope).map(([k, v]) => `${k}=${typeof v === "symbol" || typeof v === "bigint" ? String(v) : JSON.stringify(v)}`).join(", ");
}

/**
 * Every read set to the same value, once per value, in a plain object and in a prototype-less one
 * (as runs pass them); then scopes without the reads, where names fall back to liquid's globals.
 */
function* everyValue(names: readonly string[]): Iterable<Record<string, unknown>> {
  for (const value of VALUES) {
    yield Object.fromEntries(names.map((name) => [name, value]));
    const bare: Record<string, unknown> = Object.create(null);
    for (const name of names) bare[name] = value;
    yield bare;
  }
  yield {};
  yield { other: 1, more: 2 };
}

test("the corpus takes the path it says and agrees with liquid on reads, renders and errors", () => {
  const kinds = { text: 0, plain: 0, liquid: 0, error: 0 };
  for (const [source, kind] of CORPUS) {
    assert.equal(kindOf(source), kind, JSON.stringify(source));
    kinds[kind]++;
    agree(source, everyValue);
  }
  assert.ok(CORPUS.length >= 60 && kinds.plain >= 20 && kinds.liquid >= 30 && kinds.error >= 5, JSON.stringify(kinds));
});

test("the walk of parsed templates gives liquid's globalVariablesSync on every template of the corpus", () => {
  for (const [source, kind] of CORPUS) {
    if (kind === "error") continue;
    const templates = liquid.parse(source);
    assert.deepEqual(liquidReads(liquid, templates), liquid.globalVariablesSync(templates), JSON.stringify(source));
  }
});

// Seeded (mulberry32, shared with the benchmarks), so a failure names a template that can be run again.
const random = seededRandom;

const TEXT = ["", "x", " ", "\n", " \t\n ", "\u00a0", "{", "}", "}}", "%}", "-", "'", '"', "a{b"];
const ROOTS = ["a", "b", "size", "first", "nil", "true", "x-y", "_z", "forloop", "toString", "1a", "a?"];
const SEGMENTS = [".b", ".size", ".first", ".last", ".length", "[0]", "[-1]", "[1]", '["k"]', "['b']", ".0", "[b]", "[ 0 ]", "[\"}}\"]", ".", ""];
const PADDING = ["", " ", "  ", "\n", "\t"];
const FILTERS = ["", "", "", " | upcase", " | size", " | default: b", " | join: '-'"];
const TAGS = [
  "{% assign a = b %}", "{% if a %}[{{ b }}]{% endif %}", "{% raw %}{{ a }}{% endraw %}", "{% comment %}{{ c }}{% endcomment %}",
  "{% for a in b %}{{ a }}{% endfor %}", "{% capture b %}{{ a }}{% endcapture %}", "{%- increment size -%}", "{% # {{ d }} %}",
];

function randomTemplate(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  let source = "";
  const parts = 1 + Math.floor(next() * 6);
  for (let k = 0; k < parts; k++) {
    const roll = next();
    if (roll < 0.35) source += pick(TEXT);
    else if (roll < 0.9) {
      let path = pick(ROOTS);
      for (let s = Math.floor(next() * 3); s > 0; s--) path += pick(SEGMENTS);
      const dash = () => (next() < 0.25 ? "-" : "");
      source += `{{${dash()}${pick(PADDING)}${path}${pick(FILTERS)}${pick(PADDING)}${dash()}}}`;
    } else source += pick(TAGS);
  }
  return source;
}

test("random templates: the fast paths and liquid agree", () => {
  const next = random(20_240_610);
  const scopes = (names: readonly string[]) => [0, 5, 19, 22, 27, 29, 31, 36].map((v) => Object.fromEntries(names.map((name) => [name, VALUES[v]])));
  const kinds = new Map<string, number>();
  for (let i = 0; i < 3_000; i++) {
    const source = randomTemplate(next);
    const kind = kindOf(source);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    agree(source, scopes);
  }
  // Each path saw many templates.
  for (const kind of ["text", "plain", "liquid", "error"]) assert.ok((kinds.get(kind) ?? 0) >= 50, `${kind}: ${JSON.stringify([...kinds])}`);
});

test("a template the scanner takes still fails at addStep when liquid would not parse it", () => {
  for (const [source, kind] of CORPUS) {
    if (kind !== "error") continue;
    const map = new StrategyMap("g").addStep(new StrategyStep("a", undefined, "A", "fine {{ task }}", "a_out"));
    assert.throws(() => map.addStep(new StrategyStep("b", undefined, "A", source, "b_out")), (e: unknown) =>
      e instanceof StrategyValidationError && e.path === "steps[1].intent" && /is not valid liquid/.test(e.message), JSON.stringify(source));
    assert.equal(map.steps.length, 1);
  }
});

test("a template longer than liquid's parse limit is refused, plain or not", () => {
  const long = `{{ a }}${"x".repeat(TEMPLATE_LIMITS.parse)}`;
  assert.throws(() => templateReads(long), /parse length limit exceeded/);
});

test("a plain template that renders a value liquid treats specially renders through liquid", () => {
  const source = "{{ when }} {{ drop.name }}";
  assert.equal(templateKind(source), "plain");
  const when = new Date(0);
  const drop = { toLiquid: () => ({ name: "from toLiquid" }) };
  assert.equal(renderTemplate(source, { when, drop }), `${String(when)} from toLiquid`);
});

test("the cache of parsed templates keeps the most recently used within its bounds", () => {
  const cache = new TemplateCache<number>(3, 10);
  cache.set("a", 1);
  cache.set("b", 2);
  cache.set("c", 3);
  assert.equal(cache.get("a"), 1); // now the most recent
  cache.set("d", 4); // evicts b, the least recent
  assert.equal(cache.get("b"), undefined);
  assert.deepEqual(["a", "c", "d"].map((k) => cache.get(k)), [1, 3, 4]);
  cache.set("eeeeeeee", 5); // 8 characters, 11 in all: the least recent (a) goes
  assert.equal(cache.size, 3);
  assert.equal(cache.get("a"), undefined);
  assert.equal(cache.get("eeeeeeee"), 5);
  cache.set("x".repeat(11), 6); // longer than the whole budget: not kept, nothing evicted
  assert.equal(cache.get("x".repeat(11)), undefined);
  assert.equal(cache.size, 3);
});
