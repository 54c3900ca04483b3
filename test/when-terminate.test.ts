// `when` and terminations, on real threads: a false condition skips its step and everything that
// reads it (skipReason "condition") while the rest runs, and the run still succeeds; a termination
// stops running steps, skips pending ones (skipReason "terminated") and keeps every finished output.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { ParallelOrchestrator, StrategyMap, StrategyStep, StrategyValidationError } from "wavepool";
import { readStateFile } from "../src/run/state-file.js";
import { agent, startCell, strategyOf } from "./helpers.js";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = await mkdtemp(join(tmpdir(), "wavepool-when-"));

function orchestrator(strategy: StrategyMap, options: { threads?: number; started?: Int32Array } = {}): ParallelOrchestrator {
  const o = new ParallelOrchestrator(strategy, { threads: options.threads ?? 2 })
    .addAgent("Json", { module: agent("json"), options: options.started ? { after: options.started } : undefined })
    .addAgent("Echo", agent("echo"))
    .addAgent("Busy", { module: agent("busy-loop"), options: options.started ? { started: options.started } : undefined });
  after(() => o.close());
  return o;
}

test("a false when skips its step and its dependents (condition); the rest runs and the run succeeds", async () => {
  const strategy = strategyOf(
    ["review", "Json", '{"score": 0.9, "language": "en"}', "review"],
    ["revise", "Echo", "revise: {{ review.score }}", "revised", { when: "review.score < 0.8" }],
    ["publish", "Echo", "publish {{ revised.intent }}", "published"],
    ["translate", "Echo", "translate", "translated", { when: "review.language == 'en'" }],
    ["independent", "Echo", "on its own", "alone"],
  );
  const result = await orchestrator(strategy).execute("t");
  const byId = new Map(result.steps.map((s) => [s.stepId, s]));
  assert.equal(byId.get("revise")!.status, "skipped");
  assert.equal(byId.get("revise")!.skipReason, "condition");
  assert.equal(byId.get("revise")!.attempts, 0);
  assert.equal(byId.get("publish")!.status, "skipped");
  assert.equal(byId.get("publish")!.skipReason, "condition");
  assert.equal(byId.get("translate")!.status, "completed");
  assert.equal(byId.get("independent")!.status, "completed");
  assert.equal(result.success, true);
  assert.equal(result.stepsSkipped, 2);
  assert.equal(result.context.has("revised"), false);
  assert.deepEqual((result.context.get("translated") as { intent: string }).intent, "translate");
});

test("a when that fails to evaluate (past liquid's memory limit) fails its step with the path, skipping its dependents", async () => {
  const strategy = strategyOf(
    ["gate", "Echo", "x", "gated", { when: "parts | join: ','" }],
    ["after_gate", "Echo", "{{ gated.intent }}"],
    ["other", "Echo", "y"],
  );
  const result = await orchestrator(strategy).execute("t", { inputs: { parts: new Array(8).fill("x".repeat(10_000_000)) } });
  const gate = result.steps.find((s) => s.stepId === "gate")!;
  assert.equal(gate.status, "failed");
  assert.equal(gate.error?.code, new StrategyValidationError("x").code);
  assert.match(gate.error!.message, /when expression of step gate \(parts \| join: ','\) failed to evaluate: .*memory/);
  assert.equal(result.steps.find((s) => s.stepId === "after_gate")!.skipReason, "dependency");
  assert.equal(result.steps.find((s) => s.stepId === "other")!.status, "completed");
  assert.equal(result.success, false);
});

test("a termination stops running steps, skips pending ones, keeps finished outputs and renders its reason", async () => {
  const started = startCell();
  const strategy = strategyOf(
    ["slow", "Busy", "forever", "slow_out"],
    ["check", "Json", '{"stop": true, "why": "enough"}', "check"],
    ["after_check", "Echo", "{{ check.why }}"],
    ["after_slow", "Echo", "{{ slow_out }}"],
  ).addTerminate({ when: "check.stop", reason: "the checker said {{ check.why }}" });
  const file = join(dir, "terminated.state");
  const result = await orchestrator(strategy, { started }).execute("t", { saveStateTo: file });
  const byId = new Map(result.steps.map((s) => [s.stepId, s]));
  assert.equal(result.terminated, true);
  assert.equal(result.terminationReason, "the checker said enough");
  assert.equal(result.success, true);
  assert.equal(result.cancelled, false);
  assert.equal(byId.get("check")!.status, "completed");
  for (const id of ["slow", "after_check", "after_slow"]) {
    assert.equal(byId.get(id)!.status, "skipped", id);
    assert.equal(byId.get(id)!.skipReason, "terminated", id);
  }
  assert.equal(byId.get("slow")!.attempts, 1, "slow was running when the run was terminated");
  assert.equal(result.stepsSkipped, 3);
  assert.deepEqual(result.context.get("check"), { stop: true, why: "enough" });
  const saved = await readStateFile(file);
  assert.equal(saved.steps.find((s) => s.stepId === "after_check")!.skipReason, "terminated");
  assert.deepEqual(saved.outputs.get("check"), { stop: true, why: "enough" });
});

test("a termination that does not hold lets the run finish; one on task and inputs alone is evaluated before any step", async () => {
  const holdsNot = strategyOf(["a", "Json", '{"stop": false}', "a"]).addTerminate({ when: "a.stop" });
  const finished = await orchestrator(holdsNot).execute("t");
  assert.equal(finished.terminated, false);
  assert.equal(finished.success, true);
  assert.equal(finished.terminationReason, undefined);

  const onInput = new StrategyMap("input").addStep(new StrategyStep("a", "", "Echo", "x", "a")).addTerminate({ when: "mode == 'dry'" });
  const dry = await orchestrator(onInput).execute("t", { inputs: { mode: "dry" } });
  assert.equal(dry.terminated, true);
  assert.equal(dry.terminationReason, "terminate[0] holds: mode == 'dry'");
  assert.equal(dry.steps[0]!.skipReason, "terminated");
  assert.equal(dry.stepsExecuted, 0);
});
