// didYouMean: the one rule every "did you mean" in wavepool follows, from a table.
import assert from "node:assert/strict";
import { test } from "node:test";
import { didYouMean } from "../src/suggest.js";

const STEP_KEYS = ["id", "description", "agent", "intent", "output", "dependsOn", "timeoutMs", "retries", "cost"];

const cases: [word: string, candidates: string[], expected: string | undefined][] = [
  ["depends_on", STEP_KEYS, "dependsOn"],
  ["timeout_ms", STEP_KEYS, "timeoutMs"],
  ["depends-on", STEP_KEYS, "dependsOn"],
  ["DependsOn", STEP_KEYS, "dependsOn"],
  ["timeout", STEP_KEYS, "timeoutMs"],
  ["agnet", STEP_KEYS, "agent"],
  ["outptu", STEP_KEYS, "output"],
  ["retry", STEP_KEYS, "retries"],
  ["Writr", ["Researcher", "Writer"], "Writer"],
  ["writer", ["Researcher", "Writer"], "Writer"],
  ["research_agent", ["ResearchAgent", "WriterAgent"], "ResearchAgent"],
  ["writer.js", ["writer.mjs", "reader.js", "package.json"], "writer.mjs"],
  // Too far from anything to be a typo.
  ["zzz", STEP_KEYS, undefined],
  ["priority", STEP_KEYS, undefined],
  ["x", ["y", "id"], undefined],
  ["a", ["b"], undefined],
  // Nothing to suggest from, nothing typed, or the word itself.
  ["agent", [], undefined],
  ["", STEP_KEYS, undefined],
  ["cost", ["cost"], undefined],
];

for (const [word, candidates, expected] of cases) {
  test(`didYouMean(${JSON.stringify(word)}) is ${JSON.stringify(expected)}`, () => {
    assert.equal(didYouMean(word, candidates), expected);
  });
}

test("ties go to the first candidate, and any iterable will do", () => {
  assert.equal(didYouMean("cat", ["bat", "cab"]), "bat");
  assert.equal(didYouMean("cat", new Set(["cab", "bat"])), "cab");
  assert.equal(didYouMean("Echo", new Map([["echo", 1]]).keys()), "echo");
});
