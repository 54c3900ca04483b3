// A 50 MB output, with a Map, a Date, a BigInt and typed arrays, handed between steps that ran on
// different `wavepool worker` processes. Two producers meet (through Redis) while both run, on two
// workers that take one step at a time: they run on different workers, so whichever worker runs
// the step that reads both, one of its inputs was made by the other process.
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { describe, test } from "node:test";
import { ParallelOrchestrator } from "wavepool";
import { agent, strategyOf } from "./helpers.js";
import { redisMissing } from "./fixtures/redis-server.js";
import { redisSuite } from "./fixtures/redis-suite.js";

const missing = redisMissing();
const MB = 50;

interface Bulky { stepId: string; pid: number; bytes: Uint8Array; sha256: string; when: Date; table: Map<string, unknown>; big: bigint; floats: Float64Array }
interface Seen { pid: number; bytes: number; sha256: string; when: string; nested: unknown; big: string; floats: string[] }

describe("distributed runs: big outputs between workers", { skip: missing }, () => {
  const redis = redisSuite();

  test(`a ${MB} MB output with Map, Date, BigInt and typed arrays reaches a step on another worker intact`, async (t) => {
    const queue = `big-${randomUUID().slice(0, 8)}`;
    await redis.workersOn(queue, 2, ["--concurrency", "1"]);
    const options = { redis: redis.url, meet: `meet-${queue}`, parties: ["p1", "p2"], mb: MB };
    const strategy = strategyOf(["p1", "Bulky", "p1"], ["p2", "Bulky", "p2"], ["check", "Check", "{{ p1_out.stepId }} {{ p2_out.stepId }}"]);
    const o = new ParallelOrchestrator(strategy, redis.onQueue(queue))
      .addAgent("Bulky", { module: agent("bulky"), options })
      .addAgent("Check", agent("bulky-check"));
    t.after(() => o.close());
    const result = await o.execute("go");
    assert.deepEqual(result.steps.map((s) => s.status), ["completed", "completed", "completed"], JSON.stringify(result.steps.map((s) => s.error)));
    const [p1, p2, check] = result.steps;
    assert.notEqual(p1!.worker, p2!.worker, "the producers met, so they ran on different workers");
    assert.ok([p1!.worker, p2!.worker].includes(check!.worker), `check ran on ${check!.worker}`);

    const out = result.context.get("check_out") as { pid: number; seen: Record<string, Seen> };
    const from = new Set<number>();
    for (const name of ["p1_out", "p2_out"]) {
      const made = result.context.get(name) as Bulky;
      // The coordinator's copy, read back from Redis.
      assert.ok(made.bytes instanceof Uint8Array && made.bytes.length === MB * 1024 * 1024);
      assert.equal(createHash("sha256").update(made.bytes).digest("hex"), made.sha256);
      assert.ok(made.when instanceof Date && made.when.toISOString() === "2020-02-29T00:00:00.000Z");
      assert.ok(made.table instanceof Map && made.table.get("id") === made.stepId);
      assert.deepEqual(made.table.get("nested"), new Map([[1n, new Set([1, 2])]]));
      assert.equal(made.big, 2n ** 100n + 2n);
      assert.ok(made.floats instanceof Float64Array);
      assert.deepEqual([...made.floats], [Math.PI, -0, Number.NaN, Infinity]);
      // The reading step's copy, on its worker.
      const seen = out.seen[name]!;
      assert.deepEqual(seen, {
        pid: made.pid, bytes: MB * 1024 * 1024, sha256: made.sha256, when: "2020-02-29T00:00:00.000Z",
        nested: [["bigint", [1, 2]]], big: (2n ** 100n + 2n).toString(16), floats: [String(Math.PI), "-0", "NaN", "Infinity"],
      });
      from.add(seen.pid);
    }
    assert.equal(from.size, 2, "the two outputs were made by two processes");
    assert.ok(from.has(out.pid), "the reader ran in one of them");
  });
});
