// `repeat` iterations survive a coordinator killed mid-run: the coordinator journals each finished
// iteration as a local run does, and a resumed run goes on at the iteration that was running, whose
// job (the same id: attempts are numbered on) it attaches to instead of running it again.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ParallelOrchestrator, readStateFile } from "wavepool";
import { linesOf } from "./fixtures/file-lines.js";
import { redisMissing } from "./fixtures/redis-server.js";
import { redisSuite } from "./fixtures/redis-suite.js";
import { killInIteration } from "./fixtures/repeat-kill.js";
import { iterateAgent, jsonAgent, repeatStrategy, ROUNDS } from "./fixtures/repeat-strategy.js";

const missing = redisMissing();
const dir = mkdtempSync(join(tmpdir(), "wavepool-repeat-crash-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("distributed runs: a repeat step whose coordinator is killed", { skip: missing }, () => {
  const redis = redisSuite();

  test("kill -9 of the coordinator inside iteration 3, then resume: it attaches to iteration 3's job and goes on, no iteration runs twice", async (t) => {
    const queue = `repeat-${randomUUID().slice(0, 8)}`;
    await redis.workerOn(queue);
    const state = join(dir, `${queue}.state`);
    const log = join(dir, `${queue}.log`);
    const gates = mkdtempSync(join(dir, "gates-"));
    const lines = await killInIteration({ state, log, gates, holdAt: 3, redis: { url: redis.url, queue } });
    const runId = lines[0]!.replace(/^run /, "");
    const saved = await readStateFile(state);
    const polish = saved.steps.find((s) => s.stepId === "polish")!;
    assert.equal(polish.iterations, 2);
    assert.equal((saved.outputs.get("polished") as { trail: string }).trail, "/1/2");

    const options = { log, gates, holdAt: 3 };
    const o = new ParallelOrchestrator(repeatStrategy(), redis.onQueue(queue)).addAgent("Json", jsonAgent).addAgent("Iterate", { module: iterateAgent, options });
    t.after(() => o.close());
    const resumed = o.execute("polish", { resumeFrom: state });
    // Iteration 3, still held on the worker, finishes (before or after the resumed run attaches to it).
    writeFileSync(join(gates, "3"), "");
    const result = await resumed;

    assert.equal(result.success, true, JSON.stringify(result.steps.map((s) => [s.stepId, s.status, s.error?.message])));
    assert.equal(result.runId, runId);
    const rounds = linesOf(log).map((line) => Number(line.split(" ")[0]));
    assert.deepEqual(rounds, Array.from({ length: ROUNDS }, (_, k) => k + 1), "every iteration ran once, on the worker");
    const record = result.steps.find((s) => s.stepId === "polish")!;
    assert.equal(record.iterations, ROUNDS);
    assert.deepEqual(record.history.filter((a) => a.status === "completed").map((a) => a.iteration), rounds);

    const local = new ParallelOrchestrator(repeatStrategy(), { threads: 1 }).addAgent("Json", jsonAgent)
      .addAgent("Iterate", { module: iterateAgent, options: { log: join(dir, `${queue}.local.log`) } });
    t.after(() => local.close());
    const reference = await local.execute("polish");
    assert.deepEqual(result.context.get("polished"), reference.context.get("polished"));
    assert.deepEqual(result.context.get("published"), reference.context.get("published"));
  });
});
