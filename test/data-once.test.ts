// Item 2 of issue 10, data passed once: an output is serialised once, in its worker, and every step
// that reads it is handed those bytes (shared memory for a big one); task, inputs and restored
// outputs are encoded once on the main thread whatever their readers; a worker decodes an input the
// first time its agent reads it. `codecCalls` counts this thread's encodes and decodes; the readers
// report their own thread's.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ParallelOrchestrator, type ParallelOrchestrationResult } from "wavepool";
import { codecCalls, encodeParts } from "../src/pool/value-codec.js";
import type { WireValue } from "../src/pool/wire-value.js";
import { renderIntent } from "../src/run/intent.js";
import { RunState } from "../src/run/run-state.js";
import { lazyInputs } from "../workers/lazy-inputs.js";
import { agent, strategyOf } from "./helpers.js";

const READERS = ["r0", "r1", "r2", "r3"];

interface Report { lazy: Record<string, boolean>; decodes: number; lengths: Record<string, number> }

function reports(result: ParallelOrchestrationResult, ids = READERS): Report[] {
  return ids.map((id) => JSON.parse(result.context.get(`${id}_out`) as string) as Report);
}

function orchestrator(strategy: Parameters<typeof ParallelOrchestrator.withConfig>[0], reader = "input-reader"): ParallelOrchestrator {
  const o = new ParallelOrchestrator(strategy, { threads: 2 })
    .addAgent("Make", agent("make-data")).addAgent("Reader", agent(reader)).addAgent("Bump", agent("bump-shared"));
  after(() => o.close());
  return o;
}

/** Runs `run` and says how many values this (the main) thread encoded and decoded meanwhile. */
async function counted<T>(run: () => Promise<T>): Promise<{ value: T; encodes: number; decodes: number }> {
  const before = { ...codecCalls };
  const value = await run();
  return { value, encodes: codecCalls.encodes - before.encodes, decodes: codecCalls.decodes - before.decodes };
}

test("an output read by four dependents is serialised once, in its worker, and decoded once on the main thread", async () => {
  const strategy = strategyOf(["make", "Make", "records 20000", "data"], ...READERS.map((id) => [id, "Reader", "data {{ data | size }}"] as [string, string, string]));
  const { value: result, encodes, decodes } = await counted(() => orchestrator(strategy).execute("t"));
  assert.equal(result.success, true, JSON.stringify(result.steps.map((s) => s.error?.message)));
  assert.equal(encodes, 0, "the main thread never serialises the output again for its readers");
  assert.equal(decodes, 1, "the main thread decodes it once, for the templates and the result");
  assert.equal((result.context.get("data") as unknown[]).length, 20000);
  for (const report of reports(result)) {
    assert.deepEqual(report, { lazy: { data: true }, decodes: 1, lengths: { data: 20000 } });
  }
});

test("an input the agent does not read is never decoded in its worker", async () => {
  const strategy = strategyOf(["make", "Make", "string 100000", "data"], ["r0", "Reader", "skip {{ data | size }}"]);
  const result = await orchestrator(strategy).execute("t");
  assert.deepEqual(reports(result, ["r0"]), [{ lazy: { data: true }, decodes: 0, lengths: {} }]);
});

test("task and inputs are encoded once on the main thread for all their readers; small primitives cross as they are", async () => {
  const template = "cfg big small task {{ cfg.deep[0] }} {{ big | size }} {{ small }} {{ task }}";
  const strategy = strategyOf(...READERS.map((id) => [id, "Reader", template] as [string, string, string]));
  const inputs = { cfg: { deep: [7, 8, 9] }, big: "y".repeat(40_000), small: "s" };
  const { value: result, encodes } = await counted(() => orchestrator(strategy).execute("t", { inputs }));
  assert.equal(result.success, true, JSON.stringify(result.steps.map((s) => s.error?.message)));
  assert.equal(encodes, 2, "cfg and big, once each");
  for (const report of reports(result)) {
    assert.deepEqual(report.lazy, { cfg: true, big: true, small: false, task: false });
    assert.equal(report.decodes, 2);
    assert.deepEqual(report.lengths, { cfg: -1, big: 40_000, small: 1, task: 1 });
  }
});

test("a restored output is encoded once on the main thread for all the steps that read it", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "wavepool-data-once-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const stateFile = join(dir, "run.state");
  const strategy = strategyOf(["make", "Make", "records 5000", "data"], ...READERS.map((id) => [id, "Reader", "data {{ data | size }}"] as [string, string, string]));
  const first = await orchestrator(strategy, "fail").execute("t", { saveStateTo: stateFile });
  assert.deepEqual(first.steps.map((s) => s.status), ["completed", "failed", "failed", "failed", "failed"]);
  const { value: resumed, encodes } = await counted(() => orchestrator(strategy).execute("t", { resumeFrom: stateFile }));
  assert.equal(resumed.success, true);
  assert.equal(resumed.stepsExecuted, READERS.length);
  assert.equal(encodes, 1, "the restored output, once");
  for (const report of reports(resumed)) assert.deepEqual(report, { lazy: { data: true }, decodes: 1, lengths: { data: 5000 } });
});

test("a SharedArrayBuffer in an output stays shared: its readers and the result see one memory", async () => {
  const strategy = strategyOf(["make", "Make", "counter 100000", "data"], ...READERS.map((id) => [id, "Bump", "{{ data.pad | size }}"] as [string, string, string]));
  const result = await orchestrator(strategy).execute("t");
  assert.equal(result.success, true, JSON.stringify(result.steps.map((s) => s.error?.message)));
  assert.equal((result.context.get("data") as { counter: Int32Array }).counter[0], READERS.length);
  assert.deepEqual(READERS.map((id) => result.context.get(`${id}_out`)).sort(), [0, 1, 2, 3]);
});

test("without threads: every step that reads a value is handed the same wire object, a big one in shared memory", () => {
  const graph = strategyOf(["a", "X", "go"], ["b", "X", "{{ a_out | size }} {{ cfg.x }}"], ["c", "X", "{{ a_out | size }} {{ cfg.x }} {{ a_output }}"]).graph();
  const state = new RunState(graph, "t", { cfg: { x: 1 } });
  const value = "z".repeat(100_000);
  const wire = encodeParts(value);
  assert.ok(wire.stream.buffer instanceof SharedArrayBuffer, "a big stream is made in shared memory");
  assert.ok(!(encodeParts({ x: 1 }).stream.buffer instanceof SharedArrayBuffer), "a small one is cheaper copied");
  state.begin(0);
  state.complete(0, value, wire);
  const encodes = codecCalls.encodes;
  const [b, c] = [renderIntent(graph, 1, state), renderIntent(graph, 2, state)];
  assert.equal(b.inputs.a_out, wire);
  assert.equal(c.inputs.a_out, wire);
  assert.equal(c.inputs.a_output, wire, "the <stepId>_output alias is the same value");
  assert.equal(b.inputs.cfg, c.inputs.cfg);
  assert.equal(codecCalls.encodes - encodes, 1, "cfg, once");
  assert.equal(b.intent, "100000 1");
});

test("without threads: lazy inputs behave as data, whatever the agent does with them", () => {
  const wire = Object.create(null) as Record<string, WireValue>;
  Object.assign(wire, { list: encodeParts([1, 2]), n: 3 });
  Object.defineProperty(wire, "__proto__", { value: encodeParts({ own: true }), enumerable: true });
  const inputs = lazyInputs(structuredClone(wire));
  assert.deepEqual(Object.keys(inputs), ["list", "n", "__proto__"]);
  assert.equal(Object.getPrototypeOf(inputs), Object.prototype);
  assert.deepEqual({ ...inputs }, { list: [1, 2], n: 3, ["__proto__"]: { own: true } });
  assert.equal(inputs.list, inputs.list, "decoded once, then the same value");
  inputs.list = "replaced";
  assert.equal(inputs.list, "replaced");
  const frozen = Object.freeze(lazyInputs(structuredClone(wire)));
  assert.deepEqual(frozen.list, [1, 2]);
  assert.equal(frozen.list, frozen.list, "a frozen object keeps answering the one decoded value");
});
