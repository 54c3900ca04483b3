// Item 9 of issue 8: whatever an agent throws or rejects with is the agent's failure. Reading a
// hostile value (a null-prototype object, throwing getters, a revoked Proxy) must not fail the
// worker's own code: the step ends StepFailedError with a best-effort message, never
// WorkerCrashedError, and the thread lives on for the next step.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ParallelOrchestrator } from "wavepool";
import { errorInfo } from "../src/errors.js";
import { toErrorInfo } from "../src/error-serial.js";
import { agent, strategyOf } from "./helpers.js";

// What throw-anything throws (its intent), and what the step's agentError must say.
const thrown: [kind: string, name: string, message: RegExp][] = [
  ["null-prototype", "Error", /^bare$/],
  ["null-prototype:reject", "Error", /^bare$/],
  ["throwing-getters", "Error", /^Error thrown with a message that could not be read$/],
  ["proxy", "TypeError", /^proxied$/],
  ["hostile-proxy", "Error", /^a Proxy was thrown and its message could not be read/],
  ["revoked-proxy", "Error", /^a Proxy was thrown .*Revoked Proxy/],
  ["revoked-proxy:reject", "Error", /^a Proxy was thrown .*Revoked Proxy/],
  ["string", "Error", /^just a string$/],
  ["null", "Error", /^null was thrown \(not an Error\)$/],
  ["null:reject", "Error", /^null was thrown \(not an Error\)$/],
  ["undefined", "Error", /^undefined was thrown \(not an Error\)$/],
  ["number", "Error", /^42 was thrown \(not an Error\)$/],
  ["symbol", "Error", /^Symbol\(sym\) was thrown \(not an Error\)$/],
];

test("every value an agent throws fails its step with StepFailedError on a thread that lives on", async () => {
  // One thread, steps one after another: a crash would show as a new threadId on later steps.
  const rows = thrown.map(([kind], i) => [`s${i}`, "Thrower", kind] as [string, string, string]);
  const strategy = strategyOf(...rows, ["last", "Echo", "still here"]);
  const o = new ParallelOrchestrator(strategy, { threads: 1, maxConcurrentTasks: 1 })
    .addAgent("Thrower", agent("throw-anything")).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const result = await o.execute("t");
  thrown.forEach(([kind, name, message], i) => {
    const step = result.steps[i]!;
    assert.equal(step.status, "failed", kind);
    assert.equal(step.error?.name, "StepFailedError", `${kind}: ${step.error?.message}`);
    assert.equal(step.error?.agentError?.name, name, kind);
    assert.match(step.error!.agentError!.message, message, kind);
    assert.match(step.error!.message, new RegExp(`^step s${i} \\(agent Thrower\\) failed: `), kind);
  });
  assert.equal(result.steps[0]!.error?.agentError?.code, "E_BARE", "a readable code is kept");
  const last = result.steps.at(-1)!;
  assert.equal(last.status, "completed");
  assert.deepEqual(new Set(result.steps.map((s) => s.threadId)), new Set([last.threadId]), "no step ran on a replacement thread");
});

test("toErrorInfo and errorInfo never throw, whatever they are given", () => {
  const hostile = new Error("hidden");
  for (const key of ["stack", "message", "name"]) Object.defineProperty(hostile, key, { get() { throw new Error(key); } });
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const values = [Object.create(null), hostile, revoked, null, undefined, 1n, Symbol("s"), () => 1, { message: 1 }];
  for (const value of values) {
    const info = toErrorInfo(value);
    assert.equal(typeof info.name, "string");
    assert.ok(info.message.length > 0);
    assert.deepEqual(structuredClone(info), info, "what crosses threads is plain");
    const record = errorInfo(value);
    assert.equal(record.code, "WAVEPOOL_ERROR");
    assert.equal(record.message, info.message);
  }
  const cause = errorInfo(Object.assign(new Error("outer"), { cause: revoked }));
  assert.match(cause.cause!.message, /Revoked Proxy/, "a hostile cause is described too");
});
