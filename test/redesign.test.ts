// Redesign (the seed's self-remediation): onStepFailed answers a step's failure with a new strategy;
// the run goes on with it, keeping completed steps that are unchanged (not run again), and lists
// the redesign. Nothing, or a strategy that cannot run, lets the failure stand.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ParallelOrchestrator, type RunEvent, type StepFailure, type StrategyMap } from "wavepool";
import { readStateFile } from "../src/run/state-file.js";
import { agent, strategyOf } from "./helpers.js";

const dir = await mkdtemp(join(tmpdir(), "wavepool-redesign-"));
let files = 0;

function setup(strategy: StrategyMap): { o: ParallelOrchestrator; ran: () => string[] } {
  const file = join(dir, `ran-${files++}`);
  writeFileSync(file, "");
  const o = new ParallelOrchestrator(strategy, { threads: 2 })
    .addAgent("Items", { module: agent("items"), options: { file } })
    .addAgent("Echo", agent("echo"));
  after(() => o.close());
  return { o, ran: () => readFileSync(file, "utf8").split("\n").filter(Boolean) };
}

/** other (independent), fetch (its intent is `fetchIntent`), summary reads both. */
const strategy = (fetchIntent: string): StrategyMap => strategyOf(
  ["other", "Items", "independent work", "other"],
  ["fetch", "Items", fetchIntent, "data"],
  ["summary", "Echo", "summary of {{ data.intent }} and {{ other.intent }}", "summary"],
);

test("a redesign replaces the failing step; unchanged completed steps keep their outputs and do not run again", async () => {
  const { o, ran } = setup(strategy("fail"));
  const failures: StepFailure[] = [];
  const events: RunEvent[] = [];
  const file = join(dir, "redesigned.state");
  const result = await o.execute("t", {
    saveStateTo: file,
    onEvent: (e) => events.push(e),
    onStepFailed: async (failure) => {
      failures.push(failure);
      await new Promise((resolve) => setImmediate(resolve));
      return strategy("fallback source");
    },
  });
  assert.equal(result.success, true, JSON.stringify(result.error));
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.stepId, "fetch");
  assert.match(failures[0]!.error.message, /item fetch fails on purpose|fetch fails on purpose/);
  assert.equal(failures[0]!.result.steps.find((s) => s.stepId === "fetch")!.status, "failed");
  assert.equal(result.redesigns.length, 1);
  const redesign = result.redesigns[0]!;
  assert.equal(redesign.stepId, "fetch");
  assert.deepEqual(redesign.planned, ["fetch", "summary"]);
  // `other` may or may not have finished before the redesign took over; if it had, it was kept.
  assert.ok(redesign.kept.length === 0 || (redesign.kept.length === 1 && redesign.kept[0] === "other"));
  const runs = ran();
  assert.equal(runs.filter((id) => id === "fetch").length, 2, "the failing fetch, then the redesigned one");
  assert.equal(runs.filter((id) => id === "other").length, redesign.kept.includes("other") ? 1 : 2);
  assert.equal((result.context.get("summary") as { intent: string }).intent, "summary of fallback source and independent work");
  assert.equal(events.filter((e) => e.type === "run:end").length, 1, "one run:end, for the execute call");
  assert.equal(new Set(events.map((e) => e.runId)).size, 1, "the run keeps its id across the redesign");
  const saved = await readStateFile(file);
  assert.equal(saved.steps.find((s) => s.stepId === "fetch")!.status, "completed");
});

test("a completed step the redesign keeps is not run again: the failure comes after it", async () => {
  const chain = strategyOf(
    ["first", "Items", "first work", "first"],
    ["second", "Items", "fail", "second", { dependsOn: ["first"] }],
  );
  const { o, ran } = setup(chain);
  const result = await o.execute("t", {
    onStepFailed: () => strategyOf(
      ["first", "Items", "first work", "first"],
      ["second", "Items", "second, fixed: {{ first.intent }}", "second"],
    ),
  });
  assert.equal(result.success, true);
  assert.deepEqual(result.redesigns[0]!.kept, ["first"]);
  assert.deepEqual(ran(), ["first", "second", "second"]);
  assert.equal((result.context.get("second") as { intent: string }).intent, "second, fixed: first work");
  assert.equal(result.stepsExecuted, 2, "first (once: kept by the redesign), then the fixed second");
});

test("returning nothing, throwing, or a strategy that cannot run lets the failure stand", async () => {
  for (const answer of [() => undefined, () => { throw new Error("no idea"); }, () => strategyOf(["x", "Nobody", "x"]), () => ({ not: "a strategy" })]) {
    const { o } = setup(strategy("fail"));
    const result = await o.execute("t", { onStepFailed: answer as never });
    assert.equal(result.success, false);
    assert.deepEqual(result.redesigns, []);
    assert.equal(result.steps.find((s) => s.stepId === "fetch")!.status, "failed");
    assert.equal(result.steps.find((s) => s.stepId === "summary")!.skipReason, "dependency");
  }
});
