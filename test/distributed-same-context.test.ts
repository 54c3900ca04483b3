// The dynamic parts of a strategy on Redis: a `forEach` fan-out over a list a step made and a
// `repeat` step reading `previous` and `iteration` give the same context and the same records
// (items, iterations, attempts) as a local run of the same strategy.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ParallelOrchestrator, ParallelOrchestratorConfig, type ParallelOrchestrationResult as RunResult, type StrategyMap } from "wavepool";
import { agent, strategyOf } from "./helpers.js";
import { redisMissing } from "./fixtures/redis-server.js";
import { redisSuite } from "./fixtures/redis-suite.js";

const missing = redisMissing();
const dir = mkdtempSync(join(tmpdir(), "wavepool-same-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const TOPICS = ["rust", "wasm", "gc", "simd", "zig"];
const POLISH = '{"n": {{ iteration }}, "prev": {{ previous.n | default: 0 }}, "notes": {{ notes | size }}, "first": "{{ notes[0].digest }}"}';

/** What a record says that a local and a remote run must agree on (not times, threads or workers). */
function shape(result: RunResult): unknown[] {
  return result.steps.map((s) => [s.stepId, s.status, s.attempts, s.items, s.item, s.parent, s.iterations, s.repeatExhausted, s.history.map((h) => [h.status, h.iteration])]);
}

describe("distributed runs: forEach and repeat", { skip: missing }, () => {
  const redis = redisSuite();

  test("a forEach fan-out and a repeat step give the context and records a local run gives", async (t) => {
    const queue = `same-${randomUUID().slice(0, 8)}`;
    await redis.workersOn(queue, 2);
    const strategy: StrategyMap = strategyOf(
      ["plan", "Json", JSON.stringify({ topics: TOPICS }), "plan"],
      ["research", "Mark", "{{ item }}#{{ index }} for {{ task }}", "notes", { forEach: "plan.topics" }],
      ["polish", "Json", POLISH, "polished", { repeat: { until: "polished.n >= 3 and polished.prev == previous.n", maxIterations: 10 } }],
      ["write", "Json", '{"n": {{ polished.n }}, "last": "{{ notes[4].digest }}", "count": {{ notes | size }}}', "article"],
    );
    const run = async (config: ParallelOrchestratorConfig, name: string): Promise<{ result: RunResult; ran: string[] }> => {
      const ran = join(dir, `${queue}-${name}.ran`);
      const o = new ParallelOrchestrator(strategy, config).addAgent("Json", agent("json")).addAgent("Mark", { module: agent("mark"), options: { ran, ms: 20 } });
      t.after(() => o.close());
      const result = await o.execute("the task");
      return { result, ran: readFileSync(ran, "utf8").split("\n").filter(Boolean).sort() };
    };
    const local = await run(new ParallelOrchestratorConfig().withThreads(2), "local");
    const remote = await run(redis.onQueue(queue), "remote");

    assert.equal(remote.result.success, true, JSON.stringify(remote.result.error));
    assert.deepEqual(remote.result.context, local.result.context);
    assert.deepEqual(shape(remote.result), shape(local.result));
    assert.deepEqual(remote.ran, local.ran);
    assert.deepEqual(remote.ran, TOPICS.map((_, k) => `research[${k}]`).sort(), "each item ran once");
    // What both agree on is what was asked for.
    const notes = remote.result.context.get("notes") as { stepId: string; table: Map<string, string>; big: bigint }[];
    assert.deepEqual(notes.map((n) => n.stepId), TOPICS.map((_, k) => `research[${k}]`));
    assert.ok(notes.every((n) => n.table instanceof Map && typeof n.big === "bigint"));
    assert.deepEqual(remote.result.context.get("polished"), { n: 3, prev: 2, notes: 5, first: notes[0]!.table.get("research[0]") });
    const polish = remote.result.steps.find((s) => s.stepId === "polish")!;
    assert.deepEqual([polish.iterations, polish.attempts], [3, 3]);
    const items = remote.result.steps.filter((s) => s.parent === "research");
    assert.equal(items.length, TOPICS.length);
    assert.ok(items.every((s) => s.worker !== undefined), "every item ran on a worker");
  });
});
