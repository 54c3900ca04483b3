// `repeat` iterations survive a resume: a run killed (kill -9), paused or cancelled inside iteration
// K of a repeat step has iterations 1..K-1 in its state file, and a resume goes on at K with
// `previous` = iteration K-1's output, numbering on, `until` not evaluated again for the iterations
// done; no finished iteration runs twice, and the result equals an uninterrupted run's. The Iterate
// agent logs each iteration it starts, in every process.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ParallelOrchestrator, readStateFile, type ParallelOrchestrationResult, type RunEvent } from "wavepool";
import type { IterateOptions } from "./fixtures/agents/iterate.js";
import { linesOf, linesOnce } from "./fixtures/file-lines.js";
import { killInIteration } from "./fixtures/repeat-kill.js";
import { iterateAgent, jsonAgent, repeatStrategy, ROUNDS } from "./fixtures/repeat-strategy.js";

const dir = mkdtempSync(join(tmpdir(), "wavepool-repeat-resume-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
/** A fresh path in the test's folder. */
const fresh = (name: string): string => join(dir, `${++files}-${name}`);

function orchestrator(options: IterateOptions): ParallelOrchestrator {
  const o = new ParallelOrchestrator(repeatStrategy(), { threads: 2 }).addAgent("Json", jsonAgent).addAgent("Iterate", { module: iterateAgent, options });
  after(() => o.close());
  return o;
}

/** The iterations the Iterate agent started, in order, as logged in `log`. */
const rounds = (log: string): number[] => linesOf(log).map((line) => Number(line.split(" ")[0]));
const from = (first: number, last = ROUNDS): number[] => Array.from({ length: last - first + 1 }, (_, k) => first + k);
const trailTo = (n: number): string => from(1, n).map((k) => `/${k}`).join("");

let reference: ParallelOrchestrationResult;
before(async () => {
  reference = await orchestrator({ log: fresh("reference.log") }).execute("polish");
  assert.equal(reference.success, true);
});

/** `result` is what an uninterrupted run gives: the same outputs, and a record counting every iteration once. */
function assertLikeReference(result: ParallelOrchestrationResult, where: string): void {
  assert.equal(result.success, true, `${where}: ${JSON.stringify(result.steps.map((s) => [s.stepId, s.status, s.error?.message]))}`);
  assert.deepEqual(result.context.get("polished"), reference.context.get("polished"), `${where}: the last iteration's output`);
  assert.deepEqual(result.context.get("published"), reference.context.get("published"), `${where}: what the dependent read`);
  assert.deepEqual((result.context.get("polished") as { trail: string }).trail, trailTo(ROUNDS));
  const polish = result.steps.find((s) => s.stepId === "polish")!;
  assert.equal(polish.status, "completed");
  assert.equal(polish.iterations, ROUNDS, `${where}: iterations counts those before the resume too`);
  assert.equal(polish.repeatExhausted, undefined);
  assert.deepEqual(polish.history.filter((a) => a.status === "completed").map((a) => a.iteration), from(1), `${where}: each iteration completed once`);
}

/** What `readStateFile` shows of `polish` in `file`: its record, and the output its iterations left. */
async function savedPolish(file: string): Promise<{ status: string; iterations: number | undefined; output: { n: number; trail: string } | undefined }> {
  const saved = await readStateFile(file);
  const record = saved.steps.find((s) => s.stepId === "polish")!;
  return { status: record.status, iterations: record.iterations, output: saved.outputs.get(record.outputKey) as { n: number; trail: string } | undefined };
}

for (const k of [2, 5]) {
  test(`kill -9 inside iteration ${k}: the state holds iterations 1..${k - 1}, the resume runs ${k}..${ROUNDS} once each and ends as an uninterrupted run`, async () => {
    const state = fresh("killed.state");
    const killedLog = fresh("killed.log");
    const lines = await killInIteration({ state, log: killedLog, gates: dir, holdAt: k });
    assert.deepEqual(rounds(killedLog), from(1, k), "the killed run got as far as iteration k");
    assert.ok(lines.includes(`end polish ${k - 1} completed`));

    const saved = await savedPolish(state);
    assert.notEqual(saved.status, "completed");
    assert.equal(saved.iterations, k - 1, "the record counts the finished iterations");
    assert.equal(saved.output?.n, k - 1, "the last finished iteration's output is under the step's key");
    assert.equal(saved.output?.trail, trailTo(k - 1));

    const log = fresh("resumed.log");
    const events: RunEvent[] = [];
    const result = await orchestrator({ log }).execute("polish", { resumeFrom: state, saveStateTo: state, onEvent: (e) => events.push(e) });
    assert.deepEqual(rounds(log), from(k), "only the iterations not done ran: the one the kill stopped, and those after it");
    assertLikeReference(result, `killed in iteration ${k}`);
    const starts = events.filter((e): e is Extract<RunEvent, { type: "step:start" }> => e.type === "step:start" && e.stepId === "polish");
    assert.deepEqual(starts.map((e) => e.iteration), from(k), "iteration numbers go on");
    assert.equal(result.stepsExecuted, 2, "seed came from the state");
    assert.equal(result.steps.find((s) => s.stepId === "polish")!.attempts, ROUNDS, "the attempts before the kill are counted");
    assert.equal((await savedPolish(state)).status, "completed");
  });
}

test("a pause inside iteration 3, resumed with the approval, goes on at iteration 3 and ends as an uninterrupted run", async () => {
  const state = fresh("paused.state");
  const pausedLog = fresh("paused.log");
  const paused = await orchestrator({ log: pausedLog, askAt: 3 }).execute("polish", { saveStateTo: state });
  assert.equal(paused.paused, true);
  assert.deepEqual(paused.pendingApprovals.map((p) => p.stepId), ["polish"]);
  assert.equal(paused.steps.find((s) => s.stepId === "polish")!.iterations, 2);
  assert.deepEqual(rounds(pausedLog), [1, 2, 3]);
  const saved = await savedPolish(state);
  assert.equal(saved.status, "paused");
  assert.equal(saved.iterations, 2);
  assert.equal(saved.output?.trail, trailTo(2), "the state holds iteration 2's output, for the resume to read as previous");

  const log = fresh("approved.log");
  const result = await orchestrator({ log, askAt: 3 }).execute("polish", { resumeFrom: state, approvals: { polish: { approved: true } } });
  assert.deepEqual(rounds(log), from(3), "iterations 1 and 2 did not run again");
  assertLikeReference(result, "paused in iteration 3");
  assert.equal(result.pendingApprovals.length, 0);
});

test("a resumed run cancelled in the iteration it resumed at keeps the progress it was given: a second resume goes on there", async () => {
  const state = fresh("twice.state");
  await killInIteration({ state, log: fresh("twice-killed.log"), gates: dir, holdAt: 3 });
  const controller = new AbortController();
  const heldLog = fresh("twice-held.log");
  // Iteration 3 again, held at its gate (never opened) until the run is cancelled.
  const held = orchestrator({ log: heldLog, gates: mkdtempSync(join(dir, "gates-")), holdAt: 3 })
    .execute("polish", { resumeFrom: state, saveStateTo: state, signal: controller.signal });
  await linesOnce(heldLog, 1);
  controller.abort();
  const cancelled = await held;
  assert.equal(cancelled.cancelled, true);
  assert.deepEqual(rounds(heldLog), [3]);
  const saved = await savedPolish(state);
  assert.equal(saved.status, "cancelled");
  assert.equal(saved.iterations, 2);
  assert.equal(saved.output?.trail, trailTo(2), "the output it was resumed with is in the state it saved");

  const log = fresh("twice-resumed.log");
  assertLikeReference(await orchestrator({ log }).execute("polish", { resumeFrom: state }), "cancelled after a resume");
  assert.deepEqual(rounds(log), from(3));
});

test("a state from before iterations were saved (iterations counted, no output) runs the repeat step from its first iteration", async () => {
  const state = fresh("old.state");
  await orchestrator({ log: fresh("old-paused.log"), askAt: 3 }).execute("polish", { saveStateTo: state });
  const saved = await readStateFile(state);
  saved.outputs.delete("polished");
  assert.equal(saved.steps.find((s) => s.stepId === "polish")!.iterations, 2);

  const log = fresh("old-resumed.log");
  const result = await orchestrator({ log, askAt: 3 }).execute("polish", { resumeFrom: saved, approvals: { polish: { approved: true } } });
  assert.deepEqual(rounds(log), from(1));
  assertLikeReference(result, "an old state");
  assert.equal(result.steps.find((s) => s.stepId === "polish")!.attempts, ROUNDS, "a fresh record");
});

test("a state object whose saved iteration output cannot reach a worker fails the step with OutputNotCloneableError naming previous", async () => {
  const state = fresh("uncloneable.state");
  await orchestrator({ log: fresh("uncloneable-paused.log"), askAt: 3 }).execute("polish", { saveStateTo: state });
  const saved = await readStateFile(state);
  saved.outputs.set("polished", { n: 2, trail: trailTo(2), digest: "x", format: () => "not data" });
  const log = fresh("uncloneable.log");
  const result = await orchestrator({ log }).execute("polish", { resumeFrom: saved, approvals: { polish: { approved: true } } });
  assert.equal(result.success, false);
  const polish = result.steps.find((s) => s.stepId === "polish")!;
  assert.equal(polish.status, "failed");
  assert.equal(polish.error?.name, "OutputNotCloneableError");
  assert.match(polish.error!.message, /step polish \(agent Iterate\) reads previous, the output of its iteration 2 in the saved state/);
  assert.deepEqual(rounds(log), [], "nothing ran");
});
