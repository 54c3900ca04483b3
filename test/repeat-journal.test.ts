// What the state journal holds of a `repeat` step's iterations, driven without threads: each
// finished iteration is appended as the record of the step in progress with its output, also when
// the run stops right as an iteration ends, and a state read back goes on at the next iteration.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import winston from "winston";
import { ParallelOrchestratorConfig, readStateFile, type SavedRunState, type StepRecord } from "wavepool";
import { toWire } from "../src/pool/wire-value.js";
import type { AttemptEnd } from "../src/run/attempt.js";
import { decodeRecordValues, readRecords, RecordType } from "../src/run/journal-format.js";
import { Repeats } from "../src/run/repeats.js";
import { RunJournal } from "../src/run/run-journal.js";
import { RunReporter } from "../src/run/run-reporter.js";
import { RunState, type Stop } from "../src/run/run-state.js";
import { Settlement } from "../src/run/settlement.js";
import { StateJournal } from "../src/run/state-journal.js";
import { Units } from "../src/run/units.js";
import { repeatStrategy } from "./fixtures/repeat-strategy.js";

const dir = mkdtempSync(join(tmpdir(), "wavepool-repeat-journal-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const graph = repeatStrategy().graph();
const [SEED, POLISH] = [0, 1];

/**
 * A run of the repeat strategy on its own journal at `file`: resumed from `saved`, or with `seed`
 * completed and `polish` about to start.
 */
async function runOn(file: string, saved?: SavedRunState): Promise<{ state: RunState; journal: RunJournal; repeats: Repeats; settle: Settlement }> {
  const state = new RunState(graph, "polish", {});
  const repeats = new Repeats(graph, (key) => state.context.get(key));
  if (saved !== undefined) repeats.resume(state.restore(saved));
  else {
    state.begin(SEED);
    state.complete(SEED, { word: "draft" });
  }
  const journal = new RunJournal(new StateJournal(file), state, { runId: "r", fingerprint: "f", task: "polish", inputs: {}, approvals: {} });
  await journal.open();
  const report = new RunReporter("r", winston.createLogger({ silent: true }), graph, []);
  const settle = new Settlement(graph, new ParallelOrchestratorConfig(), state, journal, report, repeats, new Units(graph));
  return { state, journal, repeats, settle };
}

/** The `iterated` records of the journal at `file`, in order, as written. */
function iterationRecords(file: string): StepRecord[] {
  const found: StepRecord[] = [];
  for (const record of readRecords(readFileSync(file))) {
    if (record.type !== RecordType.steps) continue;
    const [meta] = decodeRecordValues(record.payload, new Map()) as [{ iterated?: StepRecord }];
    if (meta.iterated !== undefined) found.push(meta.iterated);
  }
  return found;
}

const round = (n: number): { n: number; trail: string } => ({ n, trail: Array.from({ length: n }, (_, k) => `/${k + 1}`).join("") });

/** Iteration `n` of polish runs as attempt `attempt` and completes; `stop`: how the run is stopping meanwhile. */
function iterate(run: Awaited<ReturnType<typeof runOn>>, n: number, stop?: Stop): ReturnType<Settlement["ended"]> {
  const attempt = run.state.begin(POLISH);
  assert.equal(run.repeats.begin(POLISH, attempt).iteration!.value, n);
  const output = round(n);
  const end: AttemptEnd = { kind: "completed", output, wire: toWire(output), threadId: 1, startedAt: n, endedAt: n + 0.5 };
  return run.settle.ended(POLISH, attempt, end as Exclude<AttemptEnd, { kind: "refused" }>, undefined, stop);
}

test("each finished iteration is in the journal as the step in progress, with its output under the step's key", async () => {
  const file = join(dir, "iterations.state");
  const run = await runOn(file);
  assert.deepEqual(iterate(run, 1), { again: true });
  assert.deepEqual(iterate(run, 2), { again: true });
  assert.equal(await run.journal.close(), undefined);
  const saved = await readStateFile(file);
  const record = saved.steps[POLISH]!;
  assert.notEqual(record.status, "completed");
  assert.equal(record.iterations, 2);
  assert.deepEqual(record.history.map((a) => a.iteration), [1, 2]);
  assert.deepEqual(saved.outputs.get("polished"), round(2));
});

test("each iteration's record carries only its own attempts, which extend the history before it, also a resumed run's", async () => {
  const file = join(dir, "history.state");
  const run = await runOn(file);
  for (let n = 1; n <= 4; n++) iterate(run, n);
  assert.equal(await run.journal.close(), undefined);
  assert.deepEqual(iterationRecords(file).map((r) => [r.iterations, r.history.map((a) => a.iteration)]), [[1, [1]], [2, [2]], [3, [3]], [4, [4]]]);
  const saved = await readStateFile(file);
  assert.deepEqual(saved.steps[POLISH]!.history.map((a) => a.iteration), [1, 2, 3, 4]);

  const resumedFile = join(dir, "history-resumed.state");
  const resumed = await runOn(resumedFile, saved);
  iterate(resumed, 5);
  assert.equal(await resumed.journal.close(), undefined);
  assert.deepEqual(iterationRecords(resumedFile).map((r) => r.history.map((a) => a.iteration)), [[5]], "the header has the history before");
  const again = await readStateFile(resumedFile);
  assert.deepEqual(again.steps[POLISH]!.history.map((a) => a.iteration), [1, 2, 3, 4, 5]);
  assert.equal(again.steps[POLISH]!.attempts, 5);
  assert.deepEqual(again.outputs.get("polished"), round(5));
});

test("a run stopping as an iteration ends: the step is cancelled, its state keeps that iteration, and a resume goes on after it", async () => {
  const file = join(dir, "stopping.state");
  const run = await runOn(file);
  assert.deepEqual(iterate(run, 1), { again: true });
  assert.deepEqual(iterate(run, 2, "cancelled"), {}, "no next iteration once the run stops");
  assert.equal(run.state.status[POLISH], "cancelled");
  assert.equal(run.state.context.has("polished"), false, "the iteration's output is not the step's");
  assert.equal(await run.journal.close(), undefined);
  const saved = await readStateFile(file);
  assert.equal(saved.steps[POLISH]!.status, "cancelled");
  assert.equal(saved.steps[POLISH]!.iterations, 2);
  assert.deepEqual(saved.outputs.get("polished"), round(2));

  const resumed = new RunState(graph, "polish", {});
  const repeats = new Repeats(graph, (key) => resumed.context.get(key));
  repeats.resume(resumed.restore(saved));
  const locals = repeats.begin(POLISH, resumed.begin(POLISH));
  assert.deepEqual([locals.iteration!.value, locals.previous!.value], [3, round(2)]);
  assert.equal(resumed.records[POLISH]!.error, undefined, "the cancel of the run before is not the resumed step's");
});
