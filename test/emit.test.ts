// ctx.emit: partial outputs as step:output events, in order, every one before the step's end.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ParallelOrchestrator, type RunEvent } from "wavepool";
import { ProgressModel } from "../src/cli/progress-model.js";
import { agent, strategyOf } from "./helpers.js";

test("ctx.emit streams chunks as step:output events, in order, before step:end; a chunk that cannot be cloned is refused", async () => {
  const chunks = ["tok", " en", { rows: 2, at: new Date(0) }, new Map([["k", 1n]])];
  const strategy = strategyOf(["s", "Streamer", "go"]);
  const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Streamer", { module: agent("streamer"), options: { chunks } });
  const events: RunEvent[] = [];
  try {
    const result = await o.execute("t", { onEvent: (e) => events.push(e) });
    assert.equal(result.success, true);
    assert.equal(result.context.get("s_out"), "refused: DataCloneError");
  } finally {
    await o.close();
  }
  const kinds = events.filter((e) => "stepId" in e && e.stepId === "s").map((e) => e.type);
  assert.deepEqual(kinds, ["step:start", ...Array(6).fill("step:output"), "step:end"]);
  const outputs = events.flatMap((e) => (e.type === "step:output" ? [e] : []));
  assert.deepEqual(outputs.map((e) => e.chunk), [...chunks, "late 1", "late 2"]);
  assert.ok(outputs.every((e) => e.attempt === 1 && e.agent === "Streamer" && e.threadId > 0));
});

test("the live display shows the latest chunk of a running step", () => {
  const model = new ProgressModel(strategyOf(["s", "Streamer", "go"]));
  const where = { runId: "r", stepId: "s", agent: "Streamer", wave: 0, attempt: 1 };
  model.apply({ type: "step:start", time: 1, ...where });
  model.apply({ type: "step:output", time: 2, threadId: 1, chunk: "first", ...where });
  model.apply({ type: "step:output", time: 3, threadId: 1, chunk: { rows: [1, 2] }, ...where });
  assert.equal(model.steps[0]!.message, '{"rows":[1,2]}');
});
