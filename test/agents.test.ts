// Agent registration and loading: shareability at addAgent, preflight load errors before anything runs.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { AgentLoadError, AgentNotShareableError, AgentPathError, ParallelOrchestrator, UnknownAgentError, defineAgent } from "wavepool";
import { agent, broken, strategyOf } from "./helpers.js";

test("an absolute path, a file: URL and { module, export, options } all load", async () => {
  const strategy = strategyOf(["a", "ByPath", "a"], ["b", "ByUrl", "b"], ["c", "Named", "shout"]);
  const o = new ParallelOrchestrator(strategy, { threads: 2 })
    .addAgent("ByPath", fileURLToPath(agent("echo")))
    .addAgent("ByUrl", agent("echo").href)
    .addAgent("Named", { module: agent("named-export"), export: "shouter", options: { suffix: "!" } });
  after(() => o.close());
  const result = await o.execute("t");
  assert.equal(result.success, true, JSON.stringify(result.steps.map((s) => s.error)));
  assert.equal(result.context.get("c_out"), "SHOUT!");
});

test("agent options reach ctx.options cloned", async () => {
  const o = new ParallelOrchestrator(strategyOf(["a", "Echo", "a"]), { threads: 1 })
    .addAgent("Echo", { module: agent("echo"), options: { depth: { list: [1, 2] }, when: new Date(0), tags: new Set(["x"]) } });
  after(() => o.close());
  const out = (await o.execute("t")).context.get("a_out") as { options: Record<string, unknown> };
  assert.deepEqual(out.options, { depth: { list: [1, 2] }, when: new Date(0), tags: new Set(["x"]) });
});

const unshareable: [string, unknown, RegExp][] = [
  ["a function in options", { module: agent("echo"), options: { onDone: () => 1 } }, /options\.onDone is a function/],
  ["a class instance in options", { module: agent("echo"), options: { client: new (class Client {})() } }, /options\.client is an instance of Client/],
  ["a nested function", { module: agent("echo"), options: { a: [{ b: Math.max }] } }, /options\.a\[0\]\.b is a function \(max\)/],
  ["a symbol", { module: agent("echo"), options: { s: Symbol("x") } }, /options\.s/],
  ["a function inside a Map", { module: agent("echo"), options: { hooks: new Map([["done", () => 1]]) } }, /options\.hooks\.get\(done\) is a function/],
  ["a function as the ref", () => "agent", /got a function/],
  ["an unknown key", { module: agent("echo"), extra: 1 }, /unknown key "extra"/],
];
for (const [what, ref, message] of unshareable) {
  test(`addAgent rejects ${what} with AgentNotShareableError`, () => {
    const o = new ParallelOrchestrator(strategyOf());
    assert.throws(() => o.addAgent("Bad", ref as never), (e: unknown) => {
      assert.ok(e instanceof AgentNotShareableError, String(e));
      assert.equal(e.agent, "Bad");
      assert.match(e.message, message);
      return true;
    });
  });
}

for (const [what, module, message] of [
  ["a module that throws on import", broken("throws-on-import"), /broken at import time/],
  ["a module whose default export is not an agent", broken("not-an-agent"), /not an agent/],
  ["a missing named export", { module: agent("echo"), export: "nope" }, /has no export "nope"/],
] as const) {
  test(`preflight fails with AgentLoadError for ${what}, before any step runs`, async () => {
    const strategy = strategyOf(["good", "Echo", "x"], ["bad", "Broken", "y"]);
    const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Echo", agent("echo")).addAgent("Broken", module);
    after(() => o.close());
    const events: string[] = [];
    await assert.rejects(o.execute("t", { onEvent: (e) => events.push(e.type) }), (e: unknown) => {
      assert.ok(e instanceof AgentLoadError, String(e));
      assert.equal(e.agent, "Broken");
      assert.match(e.message, /agent Broken could not be loaded/);
      assert.match(String((e.cause as Error).message), message);
      return true;
    });
    assert.deepEqual(events, []);
  });
}

// Where a module is, is checked where it is given (fixtures/mistakes has the rest of the table).
for (const [what, ref, message] of [
  ["a relative path", "./agents/echo.js", /relative, .*must be absolute or file: URLs/],
  ["a non-file URL", new URL("https://example.com/agent.js"), /only file: URLs/],
] as const) {
  test(`addAgent rejects ${what} with AgentPathError`, () => {
    const o = new ParallelOrchestrator(strategyOf());
    assert.throws(() => o.addAgent("Bad", ref), (e: unknown) => e instanceof AgentPathError && e.agent === "Bad" && message.test(e.message));
  });
}

test("a step naming an unregistered agent fails with UnknownAgentError listing the known ones", async () => {
  const o = new ParallelOrchestrator(strategyOf(["a", "Echo", "x"], ["b", "Ghost", "y"])).addAgent("Echo", agent("echo"));
  after(() => o.close());
  await assert.rejects(o.execute("t"), (e: unknown) =>
    e instanceof UnknownAgentError && e.path === "steps[1].agent" && /Ghost/.test(e.message) && /registered: Echo/.test(e.message));
});

test("defineAgent checks its definition", () => {
  // @ts-expect-error: execute missing
  assert.throws(() => defineAgent({ name: "x" }), /execute/);
  assert.throws(() => defineAgent({ name: "", execute: () => 1 }), /name/);
  const a = defineAgent({ name: "ok", expertise: "tests", execute: () => 1 });
  assert.ok(Object.isFrozen(a));
  assert.equal(a.expertise, "tests");
});
