// A Redis server lost under a running step and not back within the backend's `outageTimeoutMs`: the
// run ends instead of waiting forever. Its step in flight fails with BackendUnavailableError naming
// the server, what completed is in the result and the state file, and once the server is back a
// resume from that file runs the rest without running finished steps again.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ParallelOrchestrator, ParallelOrchestratorConfig, readStateFile } from "wavepool";
import { redisBackend } from "wavepool/distributed";
import { agent, strategyOf } from "./helpers.js";
import { redisMissing } from "./fixtures/redis-server.js";
import { redisSuite } from "./fixtures/redis-suite.js";
import { linesOf, startRedisVariant } from "./fixtures/redis-variants.js";

const missing = redisMissing();
const dir = mkdtempSync(join(tmpdir(), "wavepool-outage-limit-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("outageTimeoutMs is checked where it is given: a whole number of ms, or Infinity; 0 and Infinity wait forever", () => {
  for (const ok of [0, 1, 60_000, Infinity, 2_147_483_647]) redisBackend({ connection: "redis://127.0.0.1:1", outageTimeoutMs: ok });
  for (const bad of [-1, 1.5, Number.NaN, 2_147_483_648, "10s"]) {
    assert.throws(() => redisBackend({ connection: "redis://127.0.0.1:1", outageTimeoutMs: bad as number }), (error: unknown) => {
      assert.ok(error instanceof RangeError, String(error));
      assert.match(error.message, new RegExp(`\`outageTimeoutMs\` to be a whole number of milliseconds from 0 to 2147483647, or Infinity \\(0 and Infinity wait forever\\), got \`${String(bad)}\``));
      return true;
    });
  }
});

describe("distributed runs: Redis lost past outageTimeoutMs", { skip: missing }, () => {
  const suite = redisSuite(() => startRedisVariant());

  test("a run whose server stays down past the limit ends: its running step fails naming the server, what completed is kept, and a resume completes the rest", async (t) => {
    const queue = `limit-${randomUUID().slice(0, 8)}`;
    await suite.workerOn(queue, ["--threads", "2"]);
    const ran = join(dir, `${queue}.ran`);
    const state = join(dir, `${queue}.state`);
    const gates = mkdtempSync(join(dir, "gates-"));
    const open = (stepId: string): void => writeFileSync(join(gates, stepId), "");
    // b and d are ready together after a, and run one at a time: the one left waits for a slot.
    const strategy = strategyOf(["a", "Gate", "a"], ["b", "Gate", "b {{ a_out.intent }}"], ["c", "Gate", "c {{ b_out.intent }}"], ["d", "Gate", "d {{ a_out.intent }}"]);
    const orchestrator = (outageTimeoutMs?: number): ParallelOrchestrator => {
      const backend = redisBackend({ connection: suite.url, queue, ...(outageTimeoutMs === undefined ? {} : { outageTimeoutMs }) });
      const config = new ParallelOrchestratorConfig().withMaxConcurrentTasks(1).withBackend(backend);
      return new ParallelOrchestrator(strategy, config).addAgent("Gate", { module: agent("gate"), options: { ran, gates } });
    };
    const o = orchestrator(1_000);
    t.after(() => o.close());
    open("a");
    const running = o.execute("go", { saveStateTo: state });
    // `a` completed and `b` or `d` runs on the worker: the server goes, and stays away.
    const started = (await linesOf(ran, 2))[1]!.split(" ")[0]!;
    await suite.server.stop();
    const result = await running;

    assert.equal(result.success, false);
    const [a, b, c, d] = result.steps;
    assert.equal(a!.status, "completed");
    // The one running fails once the limit is past; the one waiting for its slot fails as it starts, at once.
    for (const step of [b!, d!]) {
      assert.equal(step.status, "failed", step.stepId);
      assert.equal(step.attempts, 1, "not retried: a try would wait for the same server");
      assert.equal(step.error?.code, "WAVEPOOL_BACKEND_UNAVAILABLE");
      assert.match(step.error!.message, new RegExp(`step ${step.stepId} \\(agent Gate\\) cannot finish: Redis at redis://127\\.0\\.0\\.1:${suite.server.port}/? has been unreachable for \\d+ ms, past the backend's outageTimeoutMs; .*resume the run`));
    }
    assert.ok(["b", "d"].includes(started), started);
    assert.notEqual(c!.status, "completed");
    assert.equal((result.context.get("a_out") as { intent: string }).intent, "a");
    const saved = await readStateFile(state);
    assert.equal(saved.steps.find((s) => s.stepId === "a")?.status, "completed");
    assert.ok(saved.outputs.has("a_out"), "a's output is in the state file");

    // Back (empty): a resume runs b and c, not a.
    for (const id of ["b", "c", "d"]) open(id);
    await suite.server.start();
    const resumer = orchestrator();
    t.after(() => resumer.close());
    const resumed = await resumer.execute("go", { resumeFrom: state });
    assert.equal(resumed.success, true, JSON.stringify(resumed.steps.map((s) => s.error)));
    assert.equal(resumed.runId, result.runId);
    const starts = readFileSync(ran, "utf8").split("\n").filter(Boolean).map((line) => line.split(" ")[0]);
    assert.equal(starts.filter((id) => id === "a").length, 1, `a ran once: ${starts.join(", ")}`);
    assert.deepEqual(starts.filter((id) => id === "c"), ["c"]);
    assert.deepEqual(resumed.steps.map((s) => s.status), ["completed", "completed", "completed", "completed"]);
  });
});
