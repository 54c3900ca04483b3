// kill -9 at many moments: a child process runs a fan-out of chains with saveStateTo and is killed
// right after the k-th step end it reports (k random), or at a random moment of its run. Each time
// the state file reads; the resume runs exactly the steps the file does not hold, never one whose end
// was reported, only ones that were running at the kill; and the result equals an uninterrupted run's.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ParallelOrchestrator } from "wavepool";
import { readStateFile } from "../src/run/state-file.js";
import { FAN_STEPS, fanStrategy, markAgent } from "./fixtures/fan-strategy.js";
import { linesOf, runAndKill, type KillPoint } from "./fixtures/kill-runner.js";
import { seededRandom } from "../benchmarks/random-dag.js";

const KILLS = 20;
/** Of the kills, this many come after the k-th reported step end; the rest at a random moment. */
const AFTER_ENDS = 14;
const MS_PER_STEP = 8;

// Kill points differ from one run of the suite to the next; a failure names its seed to replay it.
const seed = Number(process.env.WAVEPOOL_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = seededRandom(seed);


test(`${KILLS} kill -9 at random moments: no reported step end is lost, only running steps run again, the result is whole`, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "wavepool-kills-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const resumedRan = join(dir, "resumed.ran");
  writeFileSync(resumedRan, "");
  const o = new ParallelOrchestrator(fanStrategy(), { threads: 2 }).addAgent("Mark", { module: markAgent, options: { ran: resumedRan, ms: MS_PER_STEP } });
  t.after(() => o.close());
  const reference = await o.execute("fan");
  assert.equal(reference.success, true);
  const expected = (reference.context.get("join_out") as { digest: string }).digest;
  const all = reference.steps.map((s) => s.stepId);
  assert.equal(all.length, FAN_STEPS);

  const stats = { killed: 0, midRun: 0, reported: 0, running: 0, reRun: 0, lost: 0 };
  for (let i = 0; i < KILLS; i++) {
    const where = `kill ${i} (seed ${seed})`;
    const stateFile = join(dir, `kill-${i}.state`);
    const ran = join(dir, `kill-${i}.ran`);
    writeFileSync(ran, "");
    const when: KillPoint = i < AFTER_ENDS ? { afterEnds: 1 + Math.floor(random() * (FAN_STEPS - 1)) } : { afterMs: Math.floor(random() * 250) };
    const { lines, killed } = await runAndKill([stateFile, ran, String(MS_PER_STEP)], when);
    const reported = new Set(lines.filter((l) => l.endsWith(" completed")).map((l) => l.split(" ")[1]!));
    const ranBefore = linesOf(ran);
    // Running at the kill: started in the child, end not reported (a record may or may not have made it).
    const running = ranBefore.filter((id) => !reported.has(id));

    const saved = await readStateFile(stateFile);
    const inState = new Set(saved.steps.filter((s) => s.status === "completed").map((s) => s.stepId));
    for (const id of reported) assert.ok(inState.has(id), `${where}: step ${id} was reported ended but the state lost it`);
    for (const id of inState) assert.ok(saved.outputs.has(`${id}_out`), `${where}: step ${id} is completed without its output`);

    const before = linesOf(resumedRan).length;
    const result = await o.execute("fan", { resumeFrom: stateFile, saveStateTo: stateFile });
    const ranAfter = linesOf(resumedRan).slice(before);
    assert.equal(result.success, true, where);
    assert.equal((result.context.get("join_out") as { digest: string }).digest, expected, `${where}: the result differs from an uninterrupted run's`);
    assert.deepEqual([...ranAfter].sort(), all.filter((id) => !inState.has(id)).sort(), `${where}: the resume ran what the state does not hold, once each`);
    const reRun = ranAfter.filter((id) => ranBefore.includes(id));
    for (const id of reRun) assert.ok(running.includes(id), `${where}: step ${id} ran again but was not running at the kill`);
    const lost = reRun.filter((id) => reported.has(id));
    assert.deepEqual(lost, [], `${where}: steps reported ended ran again`);
    const final = await readStateFile(stateFile);
    assert.ok(final.steps.every((s) => s.status === "completed"), where);
    assert.equal(final.outputs.size, FAN_STEPS, where);
    assert.deepEqual((final.outputs.get("join_out") as { bulk: Uint8Array }).bulk, (reference.context.get("join_out") as { bulk: Uint8Array }).bulk, where);

    stats.killed += Number(killed);
    stats.midRun += Number(killed && !lines.includes("done") && reported.size < FAN_STEPS);
    stats.reported += reported.size;
    stats.running += running.length;
    stats.reRun += reRun.length;
    stats.lost += lost.length;
  }
  t.diagnostic(
    `seed ${seed}: ${stats.killed} of ${KILLS} runs killed (${stats.midRun} mid-run); ${stats.reported} step ends reported before the kills, ` +
      `${stats.running} steps running at the kills, ${stats.reRun} of them ran again on resume; ${stats.lost} reported steps lost`,
  );
  assert.ok(stats.midRun >= AFTER_ENDS / 2, `too few kills landed mid-run: ${JSON.stringify(stats)}`);
});
