// A worker thread runs the version of an agent module whose hash it checked: a file changed on disk
// between two runs (a deploy) runs as its new version on a worker that ran the old one, without a
// restart; an unchanged file is not imported again.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { ParallelOrchestrator } from "wavepool";
import { strategyOf } from "./helpers.js";
import { redisMissing } from "./fixtures/redis-server.js";
import { redisSuite } from "./fixtures/redis-suite.js";

const missing = redisMissing();
const dir = mkdtempSync(join(tmpdir(), "wavepool-version-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Writes the agent module at `path`: it returns `word` and how many agent modules its thread had
 * imported when it was (a count its top level bumps), so an output says which import it came from.
 */
function writeAgent(path: string, word: string): void {
  const agentJs = pathToFileURL(fileURLToPath(new URL("../src/agent.js", import.meta.url))).href;
  writeFileSync(path, [
    `import { defineAgent } from ${JSON.stringify(agentJs)};`,
    "const imports = (globalThis.versionTestImports = (globalThis.versionTestImports ?? 0) + 1);",
    `export default defineAgent({ execute: () => \`${word} \${imports}\` });`,
    "",
  ].join("\n"));
}

describe("distributed runs: a new version of a module", { skip: missing }, () => {
  const redis = redisSuite();

  test("a worker thread that ran a module runs its new version once the file changed, and imports an unchanged one once", async (t) => {
    const queue = `version-${randomUUID().slice(0, 8)}`;
    const own = mkdtempSync(join(dir, "own-"));
    // One thread: every run's step is on the thread that imported the module before.
    const worker = await redis.workerOn(queue, ["--allow", own]);
    const module = join(own, "agent.mjs");
    writeAgent(module, "one");
    const o = new ParallelOrchestrator(strategyOf(["mine", "Mine", "x"]), redis.onQueue(queue)).addAgent("Mine", module);
    t.after(() => o.close());
    const threads = new Set<number>();
    const outputOf = async (): Promise<unknown> => {
      const result = await o.execute("go");
      const [mine] = result.steps;
      assert.equal(mine!.status, "completed", JSON.stringify(mine!.error));
      assert.ok(mine!.worker!.endsWith(`:${worker.pid}`), "every run is on the one worker, never restarted");
      threads.add(mine!.threadId);
      return result.context.get("mine_out");
    };

    assert.equal(await outputOf(), "one 1");
    assert.equal(await outputOf(), "one 1", "unchanged: the thread's module, not imported again");
    // A deploy: the file changes between runs; the coordinator and the worker both hash the new content.
    writeAgent(module, "two");
    assert.equal(await outputOf(), "two 2", "the new version, imported by the thread that ran the old one");
    assert.equal(await outputOf(), "two 2");
    assert.equal(threads.size, 1, "every run on the same thread");
    assert.equal(worker.child.exitCode, null);
  });
});
