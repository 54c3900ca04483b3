// The host process never dies for a worker: threads that run out of memory while their step is
// timed out, cancelled, failed fast or closed, and modules that kill or hang their thread while
// they load. Each ends as a typed status or error; the process lives on.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { AgentLoadError, ParallelOrchestrator, ParallelOrchestratorConfig } from "wavepool";
import { agent, broken, strategyOf } from "./helpers.js";

test("workers running out of memory as their steps are timed out, cancelled, failed fast or closed never kill the host", async () => {
  const script = fileURLToPath(new URL("./fixtures/oom-race.js", import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 0, `the host process died:\n${stderr.slice(-2000)}`);
  const { statuses } = JSON.parse(stdout) as { oomMs: number; statuses: string[] };
  assert.equal(statuses.length, 4 * 8);
  const allowed: Record<string, string[]> = {
    timeout: ["timed_out", "failed"],
    cancel: ["cancelled", "failed"],
    failfast: ["cancelled", "failed", "timed_out"],
    close: ["cancelled", "failed"],
  };
  for (const entry of statuses) {
    const [how, status] = entry.split(":") as [string, string];
    assert.ok(allowed[how]!.includes(status), entry);
  }
});

for (const [what, module, limits, pattern] of [
  ["calls process.exit", "exits-on-import", undefined, /agent Broken: loading .*exits-on-import\.js killed its worker thread \(worker exited with code: 3/],
  ["runs out of memory", "oom-on-import", { maxOldGenerationSizeMb: 32 }, /agent Broken: loading .*oom-on-import\.js killed its worker thread .*ERR_WORKER_OUT_OF_MEMORY/],
  ["throws from a timer", "timer-throws-on-import", undefined, /agent Broken could not be loaded from .*timer-throws-on-import\.js: thrown from a timer while the module loads/],
] as const) {
  test(`a module that ${what} while it loads fails preflight with AgentLoadError naming agent and module`, async () => {
    let config = new ParallelOrchestratorConfig().withThreads(2);
    if (limits) config = config.withResourceLimits(limits);
    const o = new ParallelOrchestrator(strategyOf(["a", "Broken", "x"], ["b", "Echo", "y"]), config)
      .addAgent("Broken", broken(module)).addAgent("Echo", agent("echo"));
    after(() => o.close());
    const error = await o.execute("t").then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof AgentLoadError, String(error));
    assert.equal(error.agent, "Broken");
    assert.match(error.message, pattern);
    // The orchestrator still works with agents that load.
    const fine = new ParallelOrchestrator(strategyOf(["b", "Echo", "y"]), config).addAgent("Echo", agent("echo"));
    after(() => fine.close());
    assert.equal((await fine.execute("t")).success, true);
  });
}

test("a module that kills a fresh thread while a step imports it fails that step with AgentLoadError, not retried", async () => {
  const flag = join(tmpdir(), `wavepool-exit-flag-${process.pid}`);
  process.env.WAVEPOOL_TEST_EXIT_FLAG = flag;
  after(() => rmSync(flag, { force: true }));
  const strategy = strategyOf(["spin", "Spin", "spin forever", "spun", { timeoutMs: 100, cost: 1000 }], ["later", "Flagged", "x", "later", { dependsOn: [] }]);
  const config = new ParallelOrchestratorConfig().withThreads(1).withRetries({ attempts: 3, backoffMs: 1 });
  const o = new ParallelOrchestrator(strategy, config).addAgent("Spin", agent("spin")).addAgent("Flagged", broken("exits-when-flagged"));
  after(() => o.close());
  // The first run loads both agents on the one thread; the spin times out (three times) and the
  // thread is replaced.
  assert.equal((await o.execute("t")).steps[0]!.status, "timed_out");
  writeFileSync(flag, "");
  const later = (await o.execute("t")).steps[1]!;
  assert.equal(later.status, "failed");
  assert.equal(later.error?.name, "AgentLoadError");
  assert.match(later.error!.message, /agent Flagged: loading .*exits-when-flagged\.js for step later killed its worker thread \(worker exited with code: 4/);
  assert.equal(later.attempts, 1);
});

test("Piscina's require() of the worker entry links no ES module graph, so a thread terminated as it starts cannot abort the host", async () => {
  // Piscina require()s a worker file first. On Node >= 20.19 require() links an ES module graph
  // synchronously, and a thread terminated during that link aborts the whole process (FATAL ERROR:
  // v8::Module::IsGraphAsync must be used on an instantiated module: once in ~150 runs of the cancel
  // tests here, and in 1 of 1 runs of a loop terminating threads mid-load of a slow-linking graph). With require(esm) turned off, an
  // entry that needs it fails with ERR_REQUIRE_ESM: ours must load as plain CommonJS.
  const { WORKER_FILENAME } = await import("../src/pool/worker-pool.js");
  const child = spawn(process.execPath, ["--no-experimental-require-module", "-e", `require(${JSON.stringify(WORKER_FILENAME)})`], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  assert.equal(code, 0, `the worker entry needs require(esm):\n${stderr.slice(0, 600)}`);
  assert.match(WORKER_FILENAME, /\.cjs$/);
});
