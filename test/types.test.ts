// Compile-time contract: what cannot cross a thread is a type error at addAgent. `npm test` runs
// tsc first, so an `@ts-expect-error` that stops erroring (the type got looser) fails the build.
import assert from "node:assert/strict";
import { test } from "node:test";
import { AgentNotShareableError, ParallelOrchestrator, defineAgent, type AgentContext, type Shareable } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

class Client {
  endpoint = "x";
  call(): string {
    return this.endpoint;
  }
}

test("functions and class instances in agent options are compile errors and run-time errors", () => {
  const o = new ParallelOrchestrator(strategyOf());
  const module = agent("echo");
  // Plain data type-checks.
  o.addAgent("Plain", { module, options: { depth: 3, tags: ["a"], when: new Date(), table: new Map([["k", 1]]), bytes: new Uint8Array(2) } });
  assert.throws(
    // @ts-expect-error: a function cannot cross a thread
    () => o.addAgent("Fn", { module, options: { onDone: () => 1 } }),
    AgentNotShareableError,
  );
  assert.throws(
    // @ts-expect-error: a class instance arrives without its methods
    () => o.addAgent("Instance", { module, options: { client: new Client() } }),
    AgentNotShareableError,
  );
  assert.throws(
    // @ts-expect-error: deep inside arrays too
    () => o.addAgent("Deep", { module, options: { list: [{ cb: Math.max }] } }),
    AgentNotShareableError,
  );
});

test("Shareable accepts structured-clone data and refuses functions", () => {
  const ok: Shareable[] = [1, "s", true, null, undefined, 10n, new Date(), /x/, [1, [2]], { a: { b: [new Set([1])] } }, new Map([[1, 2]])];
  // @ts-expect-error: functions are not Shareable
  const bad: Shareable = () => 1;
  assert.equal(ok.length, 11);
  assert.equal(typeof bad, "function");
});

test("defineAgent types the context: options and a string intent", () => {
  const typed = defineAgent<{ suffix: string }, string>({
    name: "Typed",
    execute(intent: string, ctx: AgentContext<{ suffix: string }>) {
      // @ts-expect-error: options are typed
      void ctx.options.missing;
      return intent + ctx.options.suffix;
    },
  });
  assert.equal(typed.name, "Typed");
});
