// Durable state for real: a child process runs a chain with saveStateTo and is killed with SIGKILL
// mid-run; resuming runs only what was not done, and every output (Map, Set, Date, BigInt...) is intact.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ParallelOrchestrator, StateMismatchError } from "wavepool";
import { readRecords } from "../src/run/journal-format.js";
import { decodeState, readStateFile } from "../src/run/state-file.js";
import { CHAIN_LENGTH, chainStrategy, journalAgent } from "./fixtures/chain-strategy.js";
import { agent, strategyOf } from "./helpers.js";

const dir = await mkdtemp(join(tmpdir(), "wavepool-state-"));
const runner = fileURLToPath(new URL("./fixtures/chain-runner.js", import.meta.url));

/** Spawns the chain runner and SIGKILLs it once `killAfter` steps have ended; resolves with every step end it reported. */
function runAndKill(stateFile: string, journal: string, killAfter: number): Promise<string[]> {
  const child = spawn(process.execPath, [runner, stateFile, journal], { stdio: ["ignore", "pipe", "inherit"] });
  const ended: string[] = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    ended.push(...chunk.split("\n").filter((l) => l.startsWith("ended ")).map((l) => l.slice("ended ".length)));
    if (ended.length >= killAfter) child.kill("SIGKILL");
  });
  return new Promise((resolve, reject) => child.on("close", (_code, signal) => (signal === "SIGKILL" ? resolve(ended) : reject(new Error(`child exited by itself (${_code})`)))));
}

test("kill -9 mid-run, then resume: finished steps are not run again and every output is intact", async () => {
  const stateFile = join(dir, "chain.state");
  const journal = join(dir, "chain.journal");
  writeFileSync(journal, "");
  const ended = await runAndKill(stateFile, journal, 3);

  const saved = await readStateFile(stateFile);
  const done = saved.steps.filter((s) => s.status === "completed").map((s) => s.stepId);
  // A step end is reported once its record is in the file: none that was reported is lost.
  assert.ok(ended.length >= 3 && ended.every((id) => done.includes(id)), `reported ${ended}, completed in the state ${done}`);
  assert.ok(done.length < CHAIN_LENGTH, `completed before the kill: ${done}`);
  const ranBefore = readFileSync(journal, "utf8").trim().split("\n");

  const o = new ParallelOrchestrator(chainStrategy(), { threads: 1 }).addAgent("Journal", { module: journalAgent, options: { journal, ms: 5 } });
  after(() => o.close());
  const result = await o.execute("chain", { resumeFrom: stateFile, saveStateTo: stateFile });
  assert.equal(result.success, true);
  assert.equal(result.stepsExecuted, CHAIN_LENGTH - done.length);
  const ranAfter = readFileSync(journal, "utf8").trim().split("\n").slice(ranBefore.length);
  for (const id of done) assert.ok(!ranAfter.includes(id), `${id} ran again after resume`);
  assert.deepEqual([...done, ...ranAfter], Array.from({ length: CHAIN_LENGTH }, (_, i) => `s${i}`));
  // Outputs restored from the state keep their structured-clone types.
  const first = result.context.get("s0_out") as { when: Date; tags: Set<string>; table: Map<string, number>; bytes: Uint8Array; big: bigint };
  assert.ok(first.when instanceof Date && first.tags instanceof Set && first.table instanceof Map && first.bytes instanceof Uint8Array);
  assert.equal(first.big, 2n ** 70n);
  assert.deepEqual(result.steps.find((s) => s.stepId === "s0")!.status, "completed");
  // And the state file now records the whole chain as completed.
  const final = await readStateFile(stateFile);
  assert.ok(final.steps.every((s) => s.status === "completed"));
  assert.equal(final.outputs.size, CHAIN_LENGTH);
});

test("a state from a different strategy fails with StateMismatchError before anything runs", async () => {
  const stateFile = join(dir, "other.state");
  const a = new ParallelOrchestrator(strategyOf(["a", "Echo", "a"]), { threads: 1 }).addAgent("Echo", agent("echo"));
  after(() => a.close());
  await a.execute("t", { saveStateTo: stateFile });
  const b = new ParallelOrchestrator(strategyOf(["a", "Echo", "something else"]), { threads: 1 }).addAgent("Echo", agent("echo"));
  after(() => b.close());
  let events = 0;
  await assert.rejects(b.execute("t", { resumeFrom: stateFile, onEvent: () => events++ }), (e: unknown) =>
    e instanceof StateMismatchError && /different strategy/.test(e.message));
  assert.equal(events, 0);
  await assert.rejects(a.execute("another task", { resumeFrom: stateFile }), /saved for the task "t"/);
});

test("a state file cut short resumes from its whole records; cut in its header, or foreign, it fails with a typed error", async () => {
  const o = new ParallelOrchestrator(strategyOf(["a", "Echo", "a"], ["b", "Echo", "{{ a_out.intent }}"]), { threads: 1 }).addAgent("Echo", agent("echo"));
  after(() => o.close());
  const good = join(dir, "good.state");
  await o.execute("t", { saveStateTo: good });
  const bytes = readFileSync(good);
  // The header, then a record per step (a, b), then the record written when the run ended.
  const ends = [...readRecords(bytes)].map((r) => r.end);
  assert.equal(ends.length, 4);
  const truncated = join(dir, "truncated.state");
  for (const [cut, executed] of [[bytes.length - 7, 0], [ends[1]! + 9, 1], [ends[0]! + 3, 2]] as const) {
    writeFileSync(truncated, bytes.subarray(0, cut));
    const resumed = await o.execute("t", { resumeFrom: truncated });
    assert.equal(resumed.success, true);
    assert.equal(resumed.stepsExecuted, executed, `cut at ${cut} of ${bytes.length}`);
  }
  writeFileSync(truncated, bytes.subarray(0, ends[0]! - 1));
  await assert.rejects(o.execute("t", { resumeFrom: truncated }), StateMismatchError);
  const foreign = join(dir, "foreign.json");
  writeFileSync(foreign, JSON.stringify({ hello: "world" }));
  await assert.rejects(o.execute("t", { resumeFrom: foreign }), StateMismatchError);
  await assert.rejects(o.execute("t", { resumeFrom: join(dir, "missing.state") }), StateMismatchError);
});

test("an unwritable saveStateTo path is rejected before any step runs", async () => {
  const o = new ParallelOrchestrator(strategyOf(["a", "Echo", "a"]), { threads: 1 }).addAgent("Echo", agent("echo"));
  after(() => o.close());
  let events = 0;
  const file = join(dir, "no", "such", "dir", "x.state");
  await assert.rejects(o.execute("t", { saveStateTo: file, onEvent: () => events++ }), { name: "StateFileError", path: file, message: /folder that does not exist/ });
  assert.equal(events, 0);
});

test("when a step's end is reported, the state file already holds it, output included", async () => {
  const stateFile = join(dir, "every.state");
  const o = new ParallelOrchestrator(strategyOf(["a", "Echo", "a"], ["b", "Echo", "{{ a_out.intent }}"], ["c", "Echo", "{{ b_out.intent }}"]), { threads: 1 })
    .addAgent("Echo", agent("echo"));
  after(() => o.close());
  const reported: string[] = [];
  const missing: string[] = [];
  await o.execute("t", {
    saveStateTo: stateFile,
    onEvent: (e) => {
      if (e.type !== "step:end") return;
      reported.push(e.stepId);
      // The run does not wait for the file, so it may hold more steps than were reported: never fewer.
      const state = decodeState(readFileSync(stateFile));
      const done = new Set(state.steps.filter((s) => s.status === "completed").map((s) => s.stepId));
      for (const id of reported) if (!done.has(id) || !state.outputs.has(`${id}_out`)) missing.push(`${id} at the end of ${e.stepId}`);
    },
  });
  assert.deepEqual(reported, ["a", "b", "c"]);
  assert.deepEqual(missing, []);
  const final = await readStateFile(stateFile);
  assert.deepEqual(final.steps.map((s) => s.status), ["completed", "completed", "completed"]);
  assert.equal((final.outputs.get("c_out") as { intent: string }).intent, "a");
});
