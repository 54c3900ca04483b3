// Every way a user can point a state at the wrong place is a typed error with the path and what to
// do, before anything runs: never a raw EISDIR, ENOENT or TypeError.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ParallelOrchestrator, StateFileError, StateMismatchError, WavepoolError } from "wavepool";
import { readStateFile, type SavedRunState } from "../src/run/state-file.js";
import { StateJournal } from "../src/run/state-journal.js";
import { checkStateTarget, stateErrorOf } from "../src/run/state-target.js";
import { agent, strategyOf } from "./helpers.js";

const dir = await mkdtemp(join(tmpdir(), "wavepool-state-paths-"));
after(() => rm(dir, { recursive: true, force: true }));

function orchestrator(): ParallelOrchestrator {
  const o = new ParallelOrchestrator(strategyOf(["a", "Echo", "a"]), { threads: 1 }).addAgent("Echo", agent("echo"));
  after(() => o.close());
  return o;
}

const stateFileError = (path: string, message: RegExp) => (error: unknown): boolean => {
  assert.ok(error instanceof StateFileError, `expected StateFileError, got ${String(error)}`);
  assert.ok(error instanceof WavepoolError);
  assert.equal(error.code, "WAVEPOOL_STATE_FILE");
  assert.equal(error.path, path);
  assert.ok(error.message.includes(path), error.message);
  assert.match(error.message, message);
  return true;
};

const mismatch = (message: RegExp) => (error: unknown): boolean => {
  assert.ok(error instanceof StateMismatchError, `expected StateMismatchError, got ${String(error)}`);
  assert.match(error.message, message);
  return true;
};

test("saveStateTo a directory, inside a missing directory or under a file: StateFileError before any step runs", async () => {
  const o = orchestrator();
  const file = join(dir, "plain-file");
  await writeFile(file, "x");
  const cases: [string, RegExp][] = [
    [dir, /is a directory; pass a file path, e\.g\. .*run\.state/],
    [join(dir, "missing", "run.state"), /folder that does not exist .*create the folder first/],
    [join(file, "run.state"), /folder that does not exist|not a folder/],
  ];
  for (const [path, message] of cases) {
    let events = 0;
    await assert.rejects(o.execute("t", { saveStateTo: path, onEvent: () => events++ }), stateFileError(path, message));
    assert.equal(events, 0, path);
  }
});

test("resumeFrom a directory or a missing file: StateMismatchError naming the path", async () => {
  const o = orchestrator();
  const folder = join(dir, "a-folder");
  await mkdir(folder);
  await assert.rejects(o.execute("t", { resumeFrom: folder }), mismatch(/a-folder is a directory; pass the file given as saveStateTo/));
  await assert.rejects(readStateFile(folder), mismatch(/is a directory/));
  await assert.rejects(o.execute("t", { resumeFrom: join(dir, "nope.state") }), mismatch(/nope\.state does not exist/));
});

test("resumeFrom a state object that went through JSON: StateMismatchError that says why", async () => {
  const o = orchestrator();
  const file = join(dir, "good.state");
  await o.execute("t", { saveStateTo: file });
  const state = await readStateFile(file);
  const viaJson = JSON.parse(JSON.stringify(state)) as SavedRunState;
  let events = 0;
  await assert.rejects(o.execute("t", { resumeFrom: viaJson, onEvent: () => events++ }),
    mismatch(/^the state given as resumeFrom is not a valid wavepool state: outputs should be a Map; .*JSON/));
  assert.equal(events, 0);
  await assert.rejects(o.execute("t", { resumeFrom: { ...state, steps: "none" } as unknown as SavedRunState }), mismatch(/steps should be an array/));
  // The state as read still resumes: nothing is left to run.
  assert.equal((await o.execute("t", { resumeFrom: state })).stepsExecuted, 0);
});

test("checkStateTarget: accepts a new or existing file, refuses what cannot be replaced by a state", async () => {
  const existing = join(dir, "existing.state");
  await writeFile(existing, "old");
  await checkStateTarget(join(dir, "new.state"));
  await checkStateTarget(existing);
  await assert.rejects(checkStateTarget(dir), stateFileError(dir, /is a directory/));
  await assert.rejects(checkStateTarget("/dev/null"), stateFileError("/dev/null", /not a regular file/));
  const missing = join(dir, "no", "such", "x.state");
  await assert.rejects(checkStateTarget(missing), (error: unknown) =>
    stateFileError(missing, /does not exist/)(error) && (error as Error & { cause: { code: string } }).cause.code === "ENOENT");
});

test("checkStateTarget: a folder without write permission", async () => {
  // Read-only for everyone, and closed to everyone but its owner.
  for (const [name, mode] of [["read-only", 0o555], ["closed", 0o500]] as const) {
    const locked = join(dir, name);
    await mkdir(locked, { mode });
    const target = join(locked, "run.state");
    if (process.getuid?.() !== 0) {
      await assert.rejects(checkStateTarget(target), stateFileError(target, /no permission/));
      continue;
    }
    // Root may write anywhere: check as an unprivileged user, in a child process.
    await chmod(dir, 0o755);
    const module = new URL("../src/run/state-target.js", import.meta.url).href;
    const code = `import(${JSON.stringify(module)}).then((m) => m.checkStateTarget(${JSON.stringify(target)}))` +
      `.then(() => console.log("accepted"), (e) => console.log(e.name, e.code, e.path, e.message))`;
    const child = spawnSync(process.execPath, ["-e", code], { uid: 65534, gid: 65534, encoding: "utf8" });
    assert.equal(child.status, 0, child.stderr);
    assert.ok(child.stdout.startsWith(`StateFileError WAVEPOOL_STATE_FILE ${target} `), child.stdout);
    assert.match(child.stdout, /cannot be written: no permission/, name);
  }
});

test("a failed state write is a StateFileError with the path and the system error; stateErrorOf reports it", async () => {
  const folder = join(dir, "target-is-folder");
  await mkdir(folder);
  const journal = new StateJournal(folder);
  const state: SavedRunState = {
    format: "wavepool-state", version: 1, fingerprint: "f", runId: "r", task: "t", inputs: {}, outputs: new Map(),
    steps: [], pendingApprovals: [], approvals: {}, savedAt: 0,
  };
  const error = await journal.open(state).then(() => assert.fail("the write succeeded"), (e: unknown) => e);
  assert.ok(stateFileError(folder, /could not be saved to .*: .*; it is a directory/)(error));
  assert.equal(((error as Error).cause as { code?: string }).code, "EISDIR");
  assert.deepEqual(stateErrorOf(error, folder), { path: folder, name: "Error", code: "EISDIR", message: (error as Error).message });
  assert.deepEqual(await readdir(folder), [], "no temp file is left behind");
  assert.deepEqual(stateErrorOf("disk on fire", "x.state"), { path: "x.state", name: "Error", message: "disk on fire" });
  assert.deepEqual(stateErrorOf(new RangeError("odd"), "x.state"), { path: "x.state", name: "RangeError", message: "odd" });
});
