// The seed's `expected_output`: a step option and a strategy-file field that reaches the agent as
// `ctx.expectedOutput`. (The fifth argument of StrategyStep stays the output key.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { ParallelOrchestrator, StrategyMap, StrategyStep, StrategyValidationError } from "wavepool";
import { agent } from "./helpers.js";

test("expectedOutput reaches the agent as ctx.expectedOutput; a step without it gets undefined", async () => {
  const strategy = new StrategyMap("g");
  strategy.addStep(new StrategyStep("a", undefined, "Echo", "x", "a_out", { expectedOutput: "a JSON list of three findings" }));
  strategy.addStep(new StrategyStep("b", undefined, "Echo", "y", "b_out"));
  const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Echo", agent("echo"));
  try {
    const result = await o.execute("t");
    assert.equal((result.context.get("a_out") as { expectedOutput: unknown }).expectedOutput, "a JSON list of three findings");
    assert.equal((result.context.get("b_out") as { expectedOutput: unknown }).expectedOutput, undefined);
  } finally {
    await o.close();
  }
});

test("expectedOutput round-trips through the strategy file's shape, and a non-string is refused with its path", () => {
  const json = { goal: "g", steps: [{ id: "a", agent: "Echo", intent: "x", output: "a_out", expectedOutput: "a haiku" }] };
  assert.deepEqual(StrategyMap.fromJSON(json).toJSON(), json);
  assert.throws(() => StrategyMap.fromJSON({ goal: "g", steps: [{ ...json.steps[0], expectedOutput: 3 }] }),
    (e) => e instanceof StrategyValidationError && e.path === "steps[0].expectedOutput");
  assert.throws(() => new StrategyStep("a", undefined, "Echo", "x", "a_out", { expectedOutput: 3 as unknown as string }),
    (e) => e instanceof StrategyValidationError && e.path === "step a.expectedOutput");
});
