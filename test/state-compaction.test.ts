// A state file is compacted when its run ends if it is mostly outputs written over: a `repeat`
// step journals every iteration's output under its key, and only the last one is the state. A file
// without outputs written over is left as the run wrote it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ParallelOrchestrator, readStateFile, StrategyMap, StrategyStep } from "wavepool";

const dir = mkdtempSync(join(tmpdir(), "wavepool-compaction-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const makeData = new URL("./fixtures/agents/make-data.js", import.meta.url);
const CHARS = 300_000;
const ROUNDS = 12;

/** Runs `strategy` saving to a fresh file; returns the file, its inode when the run started, and the result. */
async function saved(strategy: StrategyMap, name: string) {
  const file = join(dir, name);
  const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("MakeData", makeData);
  after(() => o.close());
  let inode: number | undefined;
  const result = await o.execute("t", { saveStateTo: file, onEvent: (e) => {
    if (e.type === "run:start") inode = statSync(file).ino;
  } });
  assert.equal(result.success, true);
  assert.equal(result.stateError, undefined);
  return { file, inode, result };
}

test("a repeat step's iterations written over are compacted away when the run ends: the file holds the last output once", async () => {
  const strategy = new StrategyMap("many big iterations").addStep(new StrategyStep("grow", "", "MakeData", `string ${CHARS} {{ iteration }}`, "grown", {
    repeat: { until: `iteration >= ${ROUNDS}`, maxIterations: ROUNDS },
  }));
  const { file, inode } = await saved(strategy, "repeat.state");
  const { size, ino } = statSync(file);
  assert.notEqual(ino, inode, "the compacted state replaced the journal");
  assert.ok(size < 2 * CHARS, `${size} bytes: one iteration's output, not ${ROUNDS}`);
  const state = await readStateFile(file);
  assert.equal(state.outputs.get("grown"), "x".repeat(CHARS));
  const record = state.steps.find((s) => s.stepId === "grow")!;
  assert.equal(record.status, "completed");
  assert.equal(record.iterations, ROUNDS);
  assert.equal(record.history.filter((a) => a.status === "completed").length, ROUNDS);
});

test("a file without outputs written over is the journal the run wrote", async () => {
  const strategy = new StrategyMap("big steps").addStep(new StrategyStep("a", "", "MakeData", `string ${CHARS}`, "a"))
    .addStep(new StrategyStep("b", "", "MakeData", `string ${CHARS} {{ a | size }}`, "b"));
  const { file, inode } = await saved(strategy, "steps.state");
  assert.equal(statSync(file).ino, inode, "not rewritten");
  const state = await readStateFile(file);
  assert.equal(state.outputs.get("b"), "x".repeat(CHARS));
});
