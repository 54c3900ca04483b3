// Item 9 of issue 8: outputs that structured clone would mangle (a platform object whose state lives
// in internal slots or private fields arrives as `{}`) or refuse (a proxy, a port) fail their step
// with OutputNotCloneableError and the path. They are the agent's doing, not a crash: not retried.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ParallelOrchestrator, ParallelOrchestratorConfig } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

const kinds = [
  "Response", "Headers", "URL", "URLSearchParams", "AbortSignal", "Proxy", "revoked Proxy", "MessagePort", "ReadableStream", "private fields",
];

function orchestrator(intents: string[]): ParallelOrchestrator {
  const rows = intents.map((kind, i) => [`s${i}`, "Platform", kind] as [string, string, string]);
  const config = new ParallelOrchestratorConfig().withThreads(1).withMaxConcurrentTasks(1).withRetries({ attempts: 3, backoffMs: 1 });
  const o = new ParallelOrchestrator(strategyOf(...rows, ["last", "Echo", "still here"]), config)
    .addAgent("Platform", agent("platform-output")).addAgent("Echo", agent("echo"));
  after(() => o.close());
  return o;
}

test("platform objects, proxies and ports in an output fail with OutputNotCloneableError at their path", async () => {
  const result = await orchestrator(kinds).execute("t");
  kinds.forEach((kind, i) => {
    const step = result.steps[i]!;
    assert.equal(step.status, "failed", `${kind} arrived as ${JSON.stringify(result.context.get(`s${i}_out`))}`);
    assert.equal(step.error?.name, "OutputNotCloneableError", `${kind}: ${step.error?.message}`);
    assert.equal(step.error?.path, "$.a.b", kind);
    assert.match(step.error!.message, new RegExp(`^step s${i} \\(agent Platform\\) returned a value that cannot cross threads at \\$\\.a\\.b, `), kind);
    assert.equal(step.attempts, 1, `${kind} is not retried`);
  });
  assert.match(result.steps[kinds.indexOf("URL")]!.error!.message, /an instance of URL, whose state is not in own fields/);
  assert.match(result.steps[kinds.indexOf("Proxy")]!.error!.message, /a Proxy \(structured clone refuses proxies\)/);
  const last = result.steps.at(-1)!;
  assert.equal(last.status, "completed");
  assert.deepEqual(new Set(result.steps.map((s) => s.threadId)), new Set([last.threadId]), "the thread survived every bad output");
});

test("an output the walk lets through but that cannot be serialised fails in the worker: not a crash, not retried", async () => {
  // A port with own fields, and objects structured clone copies but a state file could never hold:
  // the walk passes them, the worker's serialiser refuses them, and the thread stays alive.
  const intents = ["a port with data", "Blob", "KeyObject"];
  const result = await orchestrator(intents).execute("t");
  intents.forEach((kind, i) => {
    const step = result.steps[i]!;
    assert.equal(step.status, "failed", kind);
    assert.equal(step.error?.name, "OutputNotCloneableError", `${kind}: ${step.error?.message}`);
    assert.match(step.error!.message, new RegExp(`^step s${i} \\(agent Platform\\) returned a value that cannot cross threads at \\$`), kind);
    assert.equal(step.attempts, 1, `${kind} is not retried`);
  });
  const last = result.steps.at(-1)!;
  assert.equal(last.status, "completed");
  assert.deepEqual(new Set(result.steps.map((s) => s.threadId)), new Set([last.threadId]), "the thread survived");
});

test("an output that serialises is read once, by the serialiser: no walk before it", async () => {
  // The getter answers 1, then a function: a walk before serialising would read it first and the
  // serialiser would refuse the function. Read once, the output is what the getter first said.
  const result = await orchestrator(["a getter that changes"]).execute("t");
  assert.equal(result.steps[0]!.status, "completed", result.steps[0]!.error?.message);
  assert.deepEqual(result.context.get("s0_out"), { a: { b: { x: 1 } } });
});
