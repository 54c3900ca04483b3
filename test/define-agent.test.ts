// Item 13 of issue 8 (contract): defineAgent's `name` is optional; the name given to addAgent is the
// agent's name in a run, in its step records and error messages, whatever the module calls itself.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { defineAgent, ParallelOrchestrator } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

test("defineAgent takes a definition without a name", () => {
  const a = defineAgent({ execute: (intent: string) => intent.length });
  assert.equal(a.name, undefined);
  assert.equal(a.execute("abc", undefined as never), 3);
  assert.ok(Object.isFrozen(a));
});

const invalid: [what: string, definition: unknown, message: RegExp][] = [
  ["an empty name", { name: "", execute: () => 1 }, /`name`, when given, to be a non-empty string, got an empty string; or leave it out/],
  ["a name that is not a string", { name: 5, execute: () => 1 }, /`name`, when given, to be a non-empty string, got number/],
  ["no execute, unnamed", {}, /^defineAgent expects `execute` to be a function \(intent, ctx\) => output, got undefined$/],
  ["no execute, named", { name: "Writer" }, /got undefined \(agent Writer\)$/],
  ["an expertise that is not a string", { expertise: 1, execute: () => 1 }, /`expertise`, when given, to be a string, got number/],
  ["null", null, /expects an object with `execute` \(and optionally `name`, `expertise`\), got null/],
];

for (const [what, definition, message] of invalid) {
  test(`defineAgent refuses ${what} with a TypeError saying what to do`, () => {
    assert.throws(() => defineAgent(definition as never), (e: unknown) => e instanceof TypeError && message.test(e.message));
  });
}

test("a nameless agent runs under its addAgent name, and a named one under its addAgent name too", async () => {
  const strategy = strategyOf(["a", "Writer", "hello"], ["b", "Quota", "more"]);
  const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Writer", agent("nameless")).addAgent("Quota", agent("fail"));
  after(() => o.close());
  const result = await o.execute("t");
  const [a, b] = result.steps;
  assert.equal(a!.status, "completed");
  assert.equal(a!.agent, "Writer");
  assert.equal(result.context.get("a_out"), "nameless saw: hello");
  // fail.ts calls itself "Fail"; in this run it is "Quota".
  assert.equal(b!.agent, "Quota");
  assert.match(b!.error!.message, /^step b \(agent Quota\) failed: QuotaError/);
});
