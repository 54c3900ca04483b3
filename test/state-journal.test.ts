// The state journal as a run writes it: records appended and answered in order by the writer thread
// (several journals at once), outputs moved from their threads intact, a journal that could not be
// kept written whole when it closes (or why not), and a process that saved state exits by itself.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, readFile, rm, unlink } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ParallelOrchestrator, ParallelOrchestratorConfig, type StateFileError } from "wavepool";
import { encodeParts } from "../src/pool/value-codec.js";
import { decodeState, readStateFile } from "../src/run/state-file.js";
import { StateJournal } from "../src/run/state-journal.js";
import { FAN_STEPS } from "./fixtures/fan-strategy.js";
import { agent, strategyOf } from "./helpers.js";
import { header, record, tempDir } from "./fixtures/saved-state.js";

test("whenWritten calls back in order once the records before are in the file; two journals write at once", async (t) => {
  const dir = await tempDir(t);
  const journals = [new StateJournal(join(dir, "one.state")), new StateJournal(join(dir, "two.state"))];
  await Promise.all(journals.map((j) => j.open(header())));
  const order: string[] = [];
  for (let n = 1; n <= 50; n++) {
    journals.forEach((journal, j) => {
      journal.append({ steps: [record(`s${n}`)], key: `s${n}_out`, at: n }, encodeParts(new Uint8Array(70_000).fill(n)));
      const file = journal.file;
      // Everything appended before this callback is in the file when it is called.
      journal.whenWritten(() => order.push(`${j}:${n}:${decodeState(readFileSync(file)).outputs.size >= n}`));
    });
  }
  await Promise.all(journals.map((j) => j.close(() => assert.fail("nothing to recover"))));
  assert.deepEqual(order.filter((o) => o.startsWith("0:")), Array.from({ length: 50 }, (_, i) => `0:${i + 1}:true`));
  assert.deepEqual(order.filter((o) => o.startsWith("1:")), Array.from({ length: 50 }, (_, i) => `1:${i + 1}:true`));
  for (const journal of journals) {
    const state = await readStateFile(journal.file);
    assert.equal(state.outputs.size, 50);
    assert.deepEqual(state.outputs.get("s50_out"), new Uint8Array(70_000).fill(50));
  }
});

test("a journal removed during the run is written whole when it closes; if its folder is gone too, close says why", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "gone.state");
  const journal = new StateJournal(file);
  await journal.open(header([record("a", "pending")]));
  journal.append({ steps: [record("a")], key: "a_out" }, encodeParts("A"));
  await unlink(file);
  const whole = { ...header([record("a")]), outputs: new Map([["a_out", "A"]]) };
  await journal.close(() => whole);
  assert.deepEqual(await readStateFile(file), whole);

  const folder = join(dir, "folder");
  await mkdir(folder);
  const orphan = new StateJournal(join(folder, "run.state"));
  await orphan.open(header());
  orphan.append({ steps: [], key: "x" }, encodeParts(1));
  await rm(folder, { recursive: true });
  await assert.rejects(orphan.close(() => header()), (error: unknown) => {
    const { name, code, path, cause } = error as StateFileError;
    assert.deepEqual({ name, code, path }, { name: "StateFileError", code: "WAVEPOOL_STATE_FILE", path: join(folder, "run.state") });
    assert.equal((cause as { code?: string }).code, "ENOENT");
    assert.match((error as Error).message, /its folder does not exist/);
    return true;
  });
});

test("outputs moved from their threads (over 64 KiB) are intact in the result and in the state file", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "big.state");
  const o = new ParallelOrchestrator(strategyOf(["a", "Mark", "a"], ["b", "Mark", "{{ a_out.digest }}"]), { threads: 1 })
    .addAgent("Mark", { module: agent("mark"), options: { ran: join(dir, "mark.ran"), ms: 0 } });
  t.after(() => o.close());
  const result = await o.execute("t", { saveStateTo: file });
  const saved = await readStateFile(file);
  for (const key of ["a_out", "b_out"]) {
    const live = result.context.get(key) as { bulk: Uint8Array; digest: string };
    assert.equal(live.bulk.length, 96 * 1024);
    assert.ok(live.bulk.every((x) => x === live.digest.charCodeAt(0)), `${key} in the result`);
    assert.deepEqual(saved.outputs.get(key), live, `${key} in the state file`);
  }
  assert.ok((await readFile(file)).length > 2 * 96 * 1024);
});

test("a process whose runs saved their state exits by itself: the writer thread does not hold it", async (t) => {
  const dir = await tempDir(t);
  const runner = fileURLToPath(new URL("./fixtures/fan-runner.js", import.meta.url));
  const child = spawn(process.execPath, [runner, join(dir, "run.state"), join(dir, "ran"), "0"], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => void (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0);
  assert.ok(out.endsWith("done\n"), out);
  assert.equal((await readStateFile(join(dir, "run.state"))).outputs.size, FAN_STEPS);
});

test("withStateSync: a run that syncs its state file as it goes saves the same state; a bad interval is a RangeError", async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, "synced.state");
  const o = new ParallelOrchestrator(strategyOf(["a", "Mark", "a"], ["b", "Mark", "{{ a_out.digest }}"]), { threads: 1, stateSyncMs: 0 })
    .addAgent("Mark", { module: agent("mark"), options: { ran: join(dir, "mark.ran"), ms: 0 } });
  t.after(() => o.close());
  assert.equal(o.config.stateSyncMs, 0);
  const result = await o.execute("t", { saveStateTo: file });
  assert.equal(result.success, true);
  const saved = await readStateFile(file);
  assert.deepEqual(saved.outputs.get("b_out"), result.context.get("b_out"));
  assert.equal(new ParallelOrchestratorConfig().stateSyncMs, false);
  assert.throws(() => new ParallelOrchestratorConfig().withStateSync(-1), RangeError);
  assert.throws(() => new ParallelOrchestratorConfig().withStateSync(Number.NaN), /stateSync/);
});
