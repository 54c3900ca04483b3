// kill -9 in the middle of a fan-out: a child process runs root -> forEach over ITEMS items -> join
// with saveStateTo and is killed right after the k-th item end it reports. Each time the state file
// holds every item whose end was reported, and the resume runs exactly the items (and steps) the file
// does not hold, never one whose end was reported; the result equals an uninterrupted run's.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ParallelOrchestrator } from "wavepool";
import { readStateFile } from "../src/run/state-file.js";
import { fanItemsStrategy, ITEMS, itemNames, markAgent } from "./fixtures/fan-strategy.js";
import { linesOf, runAndKill } from "./fixtures/kill-runner.js";
import { seededRandom } from "../benchmarks/random-dag.js";

const KILLS = 8;
const MS_PER_STEP = 6;
const seed = Number(process.env.WAVEPOOL_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
const random = seededRandom(seed);


test(`${KILLS} kill -9 in the middle of a fan-out: no reported item end is lost, the resume runs only the rest`, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "wavepool-item-kills-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const resumedRan = join(dir, "resumed.ran");
  writeFileSync(resumedRan, "");
  const o = new ParallelOrchestrator(fanItemsStrategy(), { threads: 2 }).addAgent("Mark", { module: markAgent, options: { ran: resumedRan, ms: MS_PER_STEP } });
  t.after(() => o.close());
  const inputs = { names: itemNames() };
  const reference = await o.execute("fan", { inputs });
  assert.equal(reference.success, true);
  const expected = (reference.context.get("join_out") as { digest: string }).digest;
  const units = ["root", ...itemNames().map((_, k) => `each[${k}]`), "join"];

  let reportedItems = 0;
  let reRun = 0;
  for (let i = 0; i < KILLS; i++) {
    const where = `kill ${i} (seed ${seed})`;
    const stateFile = join(dir, `kill-${i}.state`);
    const ran = join(dir, `kill-${i}.ran`);
    writeFileSync(ran, "");
    const counts = (line: string): boolean => /^end each\[\d+\] /.test(line);
    const { lines } = await runAndKill([stateFile, ran, String(MS_PER_STEP), "items"], { afterEnds: 1 + Math.floor(random() * (ITEMS - 2)), counts });
    const reported = new Set(lines.filter((l) => l.endsWith(" completed")).map((l) => l.split(" ")[1]!));
    const ranBefore = linesOf(ran);
    const saved = await readStateFile(stateFile);
    const inState = new Set(saved.steps.filter((s) => s.status === "completed" && s.stepId !== "each").map((s) => s.stepId));
    for (const id of reported) if (id !== "each") assert.ok(inState.has(id), `${where}: ${id} was reported ended but the state lost it`);
    for (const r of saved.steps) if (r.status === "completed" && r.parent !== undefined) assert.ok(saved.outputs.has(r.outputKey), `${where}: ${r.stepId} without its output`);

    const before = linesOf(resumedRan).length;
    const result = await o.execute("fan", { inputs, resumeFrom: stateFile, saveStateTo: stateFile });
    const ranAfter = linesOf(resumedRan).slice(before);
    assert.equal(result.success, true, where);
    assert.equal((result.context.get("join_out") as { digest: string }).digest, expected, `${where}: the result differs from an uninterrupted run's`);
    assert.deepEqual([...ranAfter].sort(), units.filter((id) => !inState.has(id)).sort(), `${where}: the resume ran what the state does not hold, once each`);
    for (const id of ranAfter) assert.ok(!reported.has(id), `${where}: ${id} was reported ended and ran again`);
    reportedItems += [...reported].filter((id) => id.startsWith("each[")).length;
    reRun += ranAfter.filter((id) => ranBefore.includes(id)).length;
  }
  t.diagnostic(`seed ${seed}: ${reportedItems} item ends reported before the kills; ${reRun} units that were running at a kill ran again; none reported was lost`);
  assert.ok(reportedItems >= KILLS, "the kills landed after items had ended");
});
