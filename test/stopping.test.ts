// Stopping is clean: under fail-fast nothing picked with a failure runs once the run resolved; no
// `step:end` after `run:end` and each attempt ends once, across cancel, fail-fast, timeout and
// close(); `ctx.signal` aborts on cancel and close(), with a grace before the thread is terminated.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Piscina } from "piscina";
import winston from "winston";
import { ParallelOrchestrator, ParallelOrchestratorConfig, type ParallelOrchestrationResult, type RunEvent, type StrategyMap } from "wavepool";
import { agent, startCell, strategyOf, waitForCell } from "./helpers.js";

const quiet = winston.createLogger({ silent: true });

/**
 * Runs `strategy` with fail-fast on a one-thread pool of our own, then a sentinel run on the same
 * pool: the pool's queue is first in, first out, so once the sentinel ended, every attempt handed to
 * the pool before it has run (or was withdrawn). Returns the Tally runs counted at both moments.
 */
async function failFastRuns(strategy: StrategyMap): Promise<{ result: ParallelOrchestrationResult; atEnd: number; afterStragglers: number }> {
  const pool = new Piscina({ minThreads: 1, maxThreads: 1, idleTimeout: Infinity });
  after(() => pool.destroy());
  const runs = new Int32Array(new SharedArrayBuffer(4));
  const config = new ParallelOrchestratorConfig().withPool(pool).withUnlimitedConcurrency().withFailFast(true).withLogger(quiet);
  const o = new ParallelOrchestrator(strategy, config)
    .addAgent("Tally", { module: agent("tally"), options: { runs } }).addAgent("Fail", agent("fail"));
  after(() => o.close());
  const result = await o.execute("t");
  const atEnd = Atomics.load(runs, 0);
  const sentinel = new ParallelOrchestrator(strategyOf(["last", "Echo", "last"]), new ParallelOrchestratorConfig().withPool(pool).withLogger(quiet))
    .addAgent("Echo", agent("echo"));
  after(() => sentinel.close());
  assert.equal((await sentinel.execute("t")).success, true);
  return { result, atEnd, afterStragglers: Atomics.load(runs, 0) };
}

/** Eight independent Tally steps after `first`, which the scheduler picks first (highest cost). */
function pickedTogether(first: [id: string, agentName: string, intent: string]): StrategyMap {
  const rows: Parameters<typeof strategyOf> = [[...first, undefined, { cost: 100 }]];
  for (let k = 0; k < 8; k++) rows.push([`t${k}`, "Tally", `tally ${k}`]);
  return strategyOf(...rows);
}

test("fail-fast: steps picked in the same pump as a step whose template fails never run", async () => {
  // A partial named by a variable that names no file: the template parses, and fails to render.
  const { result, atEnd, afterStragglers } = await failFastRuns(pickedTogether(["bad", "Tally", "{% render task %}"]));
  assert.equal(afterStragglers - atEnd, 0, "nothing ran after the run resolved");
  assert.equal(atEnd, 0, "nothing ran before the run resolved either");
  assert.equal(result.cancelled, true);
  assert.deepEqual(result.steps.map((s) => [s.stepId, s.status]), [["bad", "failed"], ...Array.from({ length: 8 }, (_, k) => [`t${k}`, "cancelled"])]);
  assert.equal(result.steps[0]!.error?.code, "WAVEPOOL_STRATEGY_INVALID");
});

test("fail-fast: steps handed to the pool with a step that fails at once never run after the run resolved", async () => {
  const { result, atEnd, afterStragglers } = await failFastRuns(pickedTogether(["boom", "Fail", "x"]));
  assert.equal(result.cancelled, true);
  assert.equal(result.steps[0]!.status, "failed");
  // The others were queued behind `boom` on the one thread. Those the pool handed to the thread
  // before the main thread heard of the failure ran, and are in the result; the rest were withdrawn
  // and never run, not even once the run was over.
  assert.equal(afterStragglers, atEnd, `${afterStragglers - atEnd} steps ran after the run resolved`);
  const completed = result.steps.filter((s) => s.status === "completed").length;
  assert.equal(completed, atEnd, "every step that ran is in the result as completed");
  for (const s of result.steps.slice(1)) assert.ok(s.status === "completed" || s.status === "cancelled", `${s.stepId} ${s.status}`);
});

/**
 * The events of a run tell the same story as its result: `run:start` first and `run:end` last, with
 * nothing after it; each attempt starts at most once and ends exactly once, in order; a step's last
 * `step:end` has its final status, and a step that never ended an attempt never started one.
 */
function assertEventsMatch(events: RunEvent[], result: ParallelOrchestrationResult): void {
  const types = events.map((e) => e.type);
  assert.equal(types[0], "run:start");
  assert.equal(types.filter((t) => t === "run:end").length, 1);
  assert.equal(types.at(-1), "run:end", `events after run:end: ${types.slice(types.indexOf("run:end") + 1).join(", ")}`);
  for (const record of result.steps) {
    const mine = events.filter((e): e is Extract<RunEvent, { stepId: string }> => "stepId" in e && e.stepId === record.stepId);
    const ends = mine.filter((e) => e.type === "step:end");
    assert.deepEqual(ends.map((e) => e.attempt), Array.from({ length: record.attempts }, (_, k) => k + 1), `${record.stepId}: one step:end per attempt`);
    for (const start of mine.filter((e) => e.type === "step:start")) {
      const at = mine.indexOf(start);
      assert.equal(mine.filter((e) => e.type === "step:start" && e.attempt === start.attempt).length, 1, `${record.stepId}: attempt ${start.attempt} started twice`);
      assert.ok(mine.findIndex((e) => e.type === "step:end" && e.attempt === start.attempt) > at, `${record.stepId}: attempt ${start.attempt} ended before it started`);
    }
    const last = ends.at(-1);
    if (last === undefined) assert.ok(["cancelled", "skipped", "pending"].includes(record.status), `${record.stepId} is ${record.status} with no step:end`);
    else assert.equal(last.status, record.status, `${record.stepId}: last step:end says ${last.status}, the result ${record.status}`);
  }
}

interface Scenario {
  name: string;
  strategy: StrategyMap;
  config?: (c: ParallelOrchestratorConfig) => ParallelOrchestratorConfig;
  /** Stops the run once `started` reached `waitFor` (agents that run bump it). */
  stop?: { waitFor: number; how: "abort" | "close" };
  statuses: string[];
}

const scenarios: Scenario[] = [
  {
    name: "cancel by signal",
    strategy: strategyOf(["spin", "Spin", "forever"], ["wait", "Cancellable", "x"], ["next", "Echo", "{{ spin_out }}"]),
    stop: { waitFor: 2, how: "abort" },
    statuses: ["cancelled", "cancelled", "cancelled"],
  },
  {
    name: "fail-fast by a timeout",
    strategy: strategyOf(["slow", "Spin", "forever", undefined, { timeoutMs: 50 }], ["wait", "Cancellable", "x"], ["after", "Echo", "{{ slow_out }}"]),
    config: (c) => c.withFailFast(true),
    statuses: ["timed_out", "cancelled", "skipped"],
  },
  {
    name: "fail-fast by a template that fails in the pump that picked others",
    strategy: strategyOf(["bad", "Echo", "{% render task %}", undefined, { cost: 100 }], ["a", "Echo", "a"], ["b", "Echo", "b"]),
    config: (c) => c.withFailFast(true).withUnlimitedConcurrency(),
    statuses: ["failed", "cancelled", "cancelled"],
  },
  {
    name: "fail-fast by a failure",
    strategy: strategyOf(["boom", "Fail", "x", undefined, { dependsOn: ["quick"] }], ["quick", "Echo", "q"], ["spin", "Spin", "forever"], ["wait", "Cancellable", "x"]),
    config: (c) => c.withFailFast(true).withThreads(3),
    statuses: ["failed", "completed", "cancelled", "cancelled"],
  },
  {
    name: "timeouts and retries",
    strategy: strategyOf(["slow", "Spin", "forever", undefined, { timeoutMs: 50, retries: 1 }], ["quick", "Echo", "q"], ["after", "Echo", "{{ slow_out }}"]),
    config: (c) => c.withRetries({ attempts: 1, backoffMs: 1 }),
    statuses: ["timed_out", "completed", "skipped"],
  },
  {
    name: "close()",
    strategy: strategyOf(["spin", "Spin", "forever"], ["wait", "Cancellable", "x"], ["next", "Echo", "{{ spin_out }}"]),
    stop: { waitFor: 2, how: "close" },
    statuses: ["cancelled", "cancelled", "cancelled"],
  },
];

for (const scenario of scenarios) {
  test(`events and result agree, nothing after run:end: ${scenario.name}`, async () => {
    const started = startCell();
    const seen = startCell();
    const base = new ParallelOrchestratorConfig().withThreads(2).withCancelGrace(50).withLogger(quiet);
    const o = new ParallelOrchestrator(scenario.strategy, scenario.config?.(base) ?? base)
      .addAgent("Spin", { module: agent("spin"), options: { started } })
      .addAgent("Cancellable", { module: agent("cancellable"), options: { started, seen } })
      .addAgent("Echo", agent("echo")).addAgent("Fail", agent("fail"));
    after(() => o.close());
    const events: RunEvent[] = [];
    const controller = new AbortController();
    const running = o.execute("t", { signal: controller.signal, onEvent: (e) => events.push(e) });
    let closed: Promise<void> | undefined;
    if (scenario.stop !== undefined) {
      await waitForCell(started, scenario.stop.waitFor);
      if (scenario.stop.how === "abort") controller.abort();
      else closed = o.close();
    }
    const result = await running;
    // Whatever was still to come from the threads has come once the pool is gone.
    await closed;
    await o.close();
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(result.steps.map((s) => s.status), scenario.statuses);
    assertEventsMatch(events, result);
  });
}

test("ctx.signal aborts when the run is cancelled: the agent stops itself within the grace, its thread lives on", async () => {
  const started = startCell();
  const seen = startCell();
  const o = new ParallelOrchestrator(strategyOf(["wait", "Cancellable", "x"]), new ParallelOrchestratorConfig().withThreads(1).withLogger(quiet))
    .addAgent("Cancellable", { module: agent("cancellable"), options: { started, seen } });
  after(() => o.close());
  const threads: number[] = [];
  for (let round = 1; round <= 2; round++) {
    const controller = new AbortController();
    const running = o.execute("t", { signal: controller.signal });
    await waitForCell(started, round);
    controller.abort();
    const result = await running;
    assert.equal(Atomics.load(seen, 0), round, "the agent saw its signal abort");
    assert.equal(result.steps[0]!.status, "cancelled");
    assert.equal(result.steps[0]!.error?.code, "WAVEPOOL_RUN_CANCELLED");
    threads.push(result.steps[0]!.threadId);
  }
  // An agent that stops when asked is not terminated: the next run finds the same thread.
  assert.equal(threads[1], threads[0], `the thread was replaced: ${threads.join(" -> ")}`);
});

test("ctx.signal aborts when the orchestrator is closed", async () => {
  const started = startCell();
  const seen = startCell();
  const o = new ParallelOrchestrator(strategyOf(["wait", "Cancellable", "x"]), new ParallelOrchestratorConfig().withThreads(1).withLogger(quiet))
    .addAgent("Cancellable", { module: agent("cancellable"), options: { started, seen } });
  after(() => o.close());
  const running = o.execute("t");
  await waitForCell(started);
  await o.close();
  const result = await running;
  assert.equal(Atomics.load(seen, 0), 1, "the agent saw its signal abort");
  assert.equal(result.steps[0]!.status, "cancelled");
});

test("withCancelGrace(0): a busy loop that never looks at its signal is still stopped at once", async () => {
  const started = startCell();
  const o = new ParallelOrchestrator(strategyOf(["spin", "Spin", "forever"]), new ParallelOrchestratorConfig().withThreads(1).withCancelGrace(0).withLogger(quiet))
    .addAgent("Spin", { module: agent("spin"), options: { started } });
  after(() => o.close());
  const controller = new AbortController();
  const running = o.execute("t", { signal: controller.signal });
  await waitForCell(started);
  const abortedAt = Date.now();
  controller.abort();
  const result = await running;
  const ms = Date.now() - abortedAt;
  assert.ok(ms < 1000, `execute resolved ${ms} ms after the abort`);
  assert.equal(result.steps[0]!.status, "cancelled");
});
