// Step times below the millisecond, for real: a run of fast steps on real threads records fractional
// epoch milliseconds, the state file keeps them as they are, and the trace gives every slice a width.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ParallelOrchestrator, ParallelOrchestratorConfig } from "wavepool";
import { toChromeTrace, type TraceCompleteEvent } from "../src/report/chrome-trace.js";
import { readStateFile } from "../src/run/state-file.js";
import { agent, strategyOf } from "./helpers.js";

test("fast steps have sub-millisecond times that survive the state file and give trace slices a width", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "wavepool-times-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const ids = Array.from({ length: 12 }, (_, i) => `s${i}`);
  // Independent echo steps: each does next to nothing, so most take well under a millisecond.
  const strategy = strategyOf(...ids.map((id) => [id, "Echo", `echo ${id}`] as [string, string, string]));
  const orchestrator = ParallelOrchestrator.withConfig(strategy, new ParallelOrchestratorConfig().withThreads(2))
    .addAgent("Echo", agent("echo"));
  t.after(() => orchestrator.close());
  const stateFile = join(dir, "run.state");

  const result = await orchestrator.execute("t", { saveStateTo: stateFile });
  assert.equal(result.success, true);
  const attempts = result.steps.flatMap((s) => s.history);
  assert.equal(attempts.length, ids.length);
  const times = attempts.flatMap((a) => [a.startedAt, a.endedAt]);
  assert.ok(times.some((time) => !Number.isInteger(time)), `fractional times: ${times.join(", ")}`);
  assert.ok(!Number.isInteger(result.startedAt) || !Number.isInteger(result.endedAt), "the run's own times too");
  for (const record of result.steps) {
    // Not rounded anywhere on the way.
    assert.equal(record.durationMs, record.endedAt! - record.startedAt!);
    assert.ok(record.startedAt! >= result.startedAt && record.endedAt! <= result.endedAt, `${record.stepId} lies within the run`);
  }
  assert.equal(result.durationMs, result.endedAt - result.startedAt);

  // The state file holds the same numbers, to the last bit.
  const saved = await readStateFile(stateFile);
  assert.deepEqual(saved.steps.map((s) => s.history), result.steps.map((s) => s.history));
  assert.deepEqual(saved.steps.map((s) => s.durationMs), result.steps.map((s) => s.durationMs));

  const slices = toChromeTrace(result).traceEvents.filter((e): e is TraceCompleteEvent => e.ph === "X");
  assert.equal(slices.length, ids.length);
  for (const slice of slices) {
    assert.ok(slice.dur > 0, `${slice.name} has a width (dur ${slice.dur} µs)`);
    assert.ok(slice.ts >= 0);
  }
});
