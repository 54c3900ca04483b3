// Timeouts and backoffs past Node's timer maximum (2^31 - 1 ms) are refused where they are given:
// setTimeout would fire such a timer after 1 ms, so a "24.9-day" timeout would stop every step at once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ParallelOrchestratorConfig, StrategyMap, StrategyStep, StrategyValidationError } from "wavepool";
import { cli, STRATEGIES } from "./cli-process.js";
import { join } from "node:path";

const MAX = 2 ** 31 - 1;
const TOO_LONG = 2 ** 31;

const refused: [what: string, call: () => unknown, option: string][] = [
  ["withStepTimeout", () => new ParallelOrchestratorConfig().withStepTimeout(TOO_LONG), "stepTimeout"],
  ["withRetries backoffMs", () => new ParallelOrchestratorConfig().withRetries({ attempts: 2, backoffMs: TOO_LONG }), "retries.backoffMs"],
  ["withRetries maxBackoffMs", () => new ParallelOrchestratorConfig().withRetries({ attempts: 2, maxBackoffMs: 1e12 }), "retries.maxBackoffMs"],
  ["options stepTimeoutMs", () => ParallelOrchestratorConfig.from({ stepTimeoutMs: TOO_LONG }), "stepTimeoutMs"],
  ["options retries.backoffMs", () => ParallelOrchestratorConfig.from({ retries: { backoffMs: TOO_LONG } }), "retries.backoffMs"],
];

for (const [what, call, option] of refused) {
  test(`${what} past 2^31 - 1 ms is a RangeError naming the option and the value`, () => {
    assert.throws(call, (e: unknown) => {
      assert.ok(e instanceof RangeError, String(e));
      assert.ok(e.message.startsWith(`Expected \`${option}\` to be `), e.message);
      assert.match(e.message, /to 2147483647 .*got `(2147483648|1000000000000)` \(number\)$/);
      return true;
    });
  });
}

test("the timer maximum itself is accepted everywhere", () => {
  const c = new ParallelOrchestratorConfig().withStepTimeout(MAX).withRetries({ attempts: 2, backoffMs: MAX, maxBackoffMs: MAX });
  assert.deepEqual([c.stepTimeoutMs, c.retries.backoffMs, c.retries.maxBackoffMs], [MAX, MAX, MAX]);
  assert.equal(ParallelOrchestratorConfig.from({ stepTimeoutMs: MAX }).stepTimeoutMs, MAX);
  assert.equal(new StrategyStep("a", "d", "A", "x", "o", { timeoutMs: MAX }).timeoutMs, MAX);
});

test("a step's timeoutMs past the maximum is a StrategyValidationError at its path, in the API and in files", () => {
  assert.throws(() => new StrategyStep("a", "d", "A", "x", "o", { timeoutMs: TOO_LONG }), (e: unknown) => {
    assert.ok(e instanceof StrategyValidationError, String(e));
    assert.equal(e.path, "step a.timeoutMs");
    assert.match(e.message, /from 1 to 2147483647 .*got 2147483648$/);
    return true;
  });
  const json = { goal: "g", steps: [{ id: "a", agent: "A", intent: "x", output: "o" }, { id: "b", agent: "A", intent: "x", output: "p", timeoutMs: TOO_LONG }] };
  assert.throws(() => StrategyMap.fromJSON(json), (e: unknown) => {
    assert.ok(e instanceof StrategyValidationError, String(e));
    assert.equal(e.path, "steps[1].timeoutMs");
    assert.match(e.message, /^steps\[1\]\.timeoutMs: expected an integer from 1 to 2147483647 .*got 2147483648$/);
    return true;
  });
});

test("wavepool run --timeout past the maximum is a usage error (exit 2), not a run that times out at once", async () => {
  const { code, stdout, stderr } = await cli(["run", join(STRATEGIES, "relative.yaml"), "--timeout", "40000m"]);
  assert.equal(code, 2, stderr);
  assert.equal(stdout, "");
  assert.match(stderr.split("\n")[0]!, /^wavepool: --timeout must be at most 2147483647ms .*got "40000m"$/);
  const ok = await cli(["run", join(STRATEGIES, "relative.yaml"), "--timeout", "2147483647", "--task", "rust"]);
  assert.equal(ok.code, 0, ok.stderr);
});
