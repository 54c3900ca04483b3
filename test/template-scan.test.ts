// Template analysis without liquid's globalVariablesSync: the walk that replaces it must agree with
// it on a corpus of templates, and the cache of parsed templates must stay within its bounds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Liquid } from "liquidjs";
import { StrategyMap, StrategyStep, StrategyValidationError } from "wavepool";
import { liquidReads } from "../src/graph/liquid-reads.js";
import { TemplateCache } from "../src/graph/template-cache.js";
import { TEMPLATE_LIMITS } from "../src/graph/template.js";
import { CORPUS } from "./fixtures/template-corpus.js";

/** liquidjs as wavepool configures it, used here as the reference. */
const liquid = new Liquid({
  cache: false, renderLimit: TEMPLATE_LIMITS.renderMs, memoryLimit: TEMPLATE_LIMITS.memory, parseLimit: TEMPLATE_LIMITS.parse,
});

test("the walk of parsed templates gives liquid's globalVariablesSync on every template of the corpus", () => {
  for (const [source, kind] of CORPUS) {
    if (kind === "error") continue;
    const templates = liquid.parse(source);
    assert.deepEqual(liquidReads(liquid, templates), liquid.globalVariablesSync(templates), JSON.stringify(source));
  }
});

test("a template liquid does not parse fails at addStep", () => {
  for (const [source, kind] of CORPUS) {
    if (kind !== "error") continue;
    const map = new StrategyMap("g").addStep(new StrategyStep("a", undefined, "A", "fine {{ task }}", "a_out"));
    assert.throws(() => map.addStep(new StrategyStep("b", undefined, "A", source, "b_out")), (e: unknown) =>
      e instanceof StrategyValidationError && e.path === "steps[1].intent" && /is not valid liquid/.test(e.message), JSON.stringify(source));
    assert.equal(map.steps.length, 1);
  }
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
