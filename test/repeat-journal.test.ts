// What the state journal holds of a `repeat` step's iterations, driven without threads: each
// finished iteration is appended as the record of the step in progress with its output, also when
// the run stops right as an iteration ends, and a state read back goes on at the next iteration.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import winston from "winston";
import { ParallelOrchestratorConfig, readStateFile } from "wavepool";
import { toWire } from "../src/pool/wire-value.js";
import type { AttemptEnd } from "../src/run/attempt.js";
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

/** A run of the repeat strategy on its own journal at `file`, with `seed` completed and `polish` in its first iteration. */
async function runOn(file: string): Promise<{ state: RunState; journal: RunJournal; repeats: Repeats; settle: Settlement }> {
  const state = new RunState(graph, "polish", {});
  const journal = new RunJournal(new StateJournal(file), state, { runId: "r", fingerprint: "f", task: "polish", inputs: {}, approvals: {} });
  await journal.open();
  const report = new RunReporter("r", winston.createLogger({ silent: true }), graph, []);
  const repeats = new Repeats(graph, (key) => state.context.get(key));
  const settle = new Settlement(graph, new ParallelOrchestratorConfig(), state, journal, report, repeats, new Units(graph));
  state.begin(SEED);
  state.complete(SEED, { word: "draft" });
  return { state, journal, repeats, settle };
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
