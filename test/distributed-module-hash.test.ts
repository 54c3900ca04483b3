// A worker hashes an agent module's file once per version of the file, not once per job: the hash is
// kept with the file's stat (size, mtime, inode, ctime) and the file is read again when that changes.
// A module changed on disk between two runs is still refused by a worker that has checked it before.
import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ParallelOrchestrator } from "wavepool";
import { ModuleHashes } from "../src/distributed/module-hashes.js";
import { strategyOf } from "./helpers.js";
import { redisMissing } from "./fixtures/redis-server.js";
import { redisSuite } from "./fixtures/redis-suite.js";

const missing = redisMissing();
const dir = mkdtempSync(join(tmpdir(), "wavepool-hash-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");
/** An hour ago: a file last written then is not one that may change again unseen within its clock's tick. */
const anHourAgo = (): Date => new Date(Date.now() - 3_600_000);

/** An agent module in `folder` returning `word` (three letters: every version has the same size), written an hour ago. */
function agentModule(folder: string, word: string): string {
  const path = join(folder, "agent.mjs");
  const agentJs = pathToFileURL(fileURLToPath(new URL("../src/agent.js", import.meta.url))).href;
  writeFileSync(path, `import { defineAgent } from ${JSON.stringify(agentJs)};\nexport default defineAgent({ execute: () => "${word}" });\n`);
  utimesSync(path, anHourAgo(), anHourAgo());
  return path;
}

test("a file is read once for any number of checks while it is unchanged, and again once it changes", async () => {
  const path = join(dir, "module.mjs");
  writeFileSync(path, "export default 1;\n");
  utimesSync(path, anHourAgo(), anHourAgo());
  const hashes = new ModuleHashes();
  for (let k = 0; k < 1_000; k++) assert.equal(await hashes.of(path), sha256(path));
  assert.equal(hashes.reads, 1);
  // Rewritten in place with as many bytes: only its mtime and ctime say so.
  writeFileSync(path, "export default 2;\n");
  assert.equal(await hashes.of(path), sha256(path));
  assert.equal(hashes.reads, 2);
  // Its mtime set back: read again (its stat changed), and trusted from then on.
  const old = new Date(Date.now() - 7_200_000);
  utimesSync(path, old, old);
  assert.equal(await hashes.of(path), sha256(path));
  assert.equal(hashes.reads, 3);
  // Replaced by a rename with a file of as many bytes and the same mtime: another inode (and ctime).
  const next = join(dir, "next.mjs");
  writeFileSync(next, "export default 3;\n");
  utimesSync(next, old, old);
  renameSync(next, path);
  assert.equal(await hashes.of(path), sha256(path));
  assert.equal(hashes.reads, 4);
  assert.equal(await hashes.of(path), sha256(path));
  assert.equal(hashes.reads, 4, "unchanged again: not read");
});

test("a file written just now is hashed again at its next check: a change within the same tick of the filesystem's clock would not show in its stat", async () => {
  const path = join(dir, "fresh.mjs");
  writeFileSync(path, "export default 1;\n");
  const hashes = new ModuleHashes();
  await hashes.of(path);
  writeFileSync(path, "export default 2;\n");
  assert.equal(await hashes.of(path), sha256(path));
  assert.equal(hashes.reads, 2);
});

describe("distributed runs: a module changed on disk", { skip: missing }, () => {
  const redis = redisSuite();

  test("a worker that ran a module refuses it with AgentLoadError once it changed on disk under the next run, without a restart", async (t) => {
    const queue = `changed-${randomUUID().slice(0, 8)}`;
    const own = mkdtempSync(join(dir, "own-"));
    const worker = await redis.workerOn(queue, ["--allow", own]);
    const module = agentModule(own, "one");
    const strategy = strategyOf(["mine", "Mine", "x"]);
    const o = new ParallelOrchestrator(strategy, redis.onQueue(queue)).addAgent("Mine", module);
    t.after(() => o.close());
    const first = await o.execute("go");
    assert.equal(first.steps[0]!.status, "completed", JSON.stringify(first.steps[0]!.error));
    assert.ok(first.steps[0]!.worker!.endsWith(`:${worker.pid}`));

    // Changed after the coordinator hashed it for the run (its run started), before the worker checks it.
    const second = await o.execute("go", {
      onEvent: (event) => {
        if (event.type === "run:start") writeFileSync(module, readFileSync(module, "utf8").replace('"one"', '"two"'));
      },
    });
    const [mine] = second.steps;
    assert.equal(mine!.status, "failed", JSON.stringify(mine));
    assert.equal(mine!.error?.code, "WAVEPOOL_AGENT_LOAD");
    assert.match(mine!.error!.message, /differs from the coordinator's/);
    assert.ok(mine!.worker?.endsWith(`:${worker.pid}`), `the record names the worker that refused it: ${mine!.worker}`);
    assert.equal(worker.child.exitCode, null, "the worker that refused it is the one that ran it, not restarted");
    // The next run hashes the new version on both sides: the worker takes it.
    const third = await o.execute("go");
    assert.equal(third.steps[0]!.status, "completed", JSON.stringify(third.steps[0]!.error));
    assert.ok(third.steps[0]!.worker!.endsWith(`:${worker.pid}`));
  });
});
