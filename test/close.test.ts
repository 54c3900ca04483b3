// close() releases everything: no threads or heap left behind by many orchestrators, running steps
// stopped even with no timeout, signal or fail-fast, and a run still starting rejected with a typed
// error, promptly.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { Piscina } from "piscina";
import winston from "winston";
import { OrchestratorClosedError, ParallelOrchestrator, ParallelOrchestratorConfig } from "wavepool";
import { agent, broken, startCell, strategyOf, waitForCell } from "./helpers.js";

const quiet = winston.createLogger({ silent: true });
const tmp = mkdtempSync(join(tmpdir(), "wavepool-close-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

interface LoopReport {
  rounds: number;
  loopMs: number;
  before: { threads: Record<string, number>; heap: number; rss: number };
  after: { threads: Record<string, number>; heap: number; rss: number };
  outcomes: Record<string, number>;
}

function runLoop(rounds: number): Promise<{ code: number | null; report: LoopReport | undefined; stderr: string }> {
  const script = fileURLToPath(new URL("./fixtures/close-loop.js", import.meta.url));
  const child = spawn(process.execPath, ["--expose-gc", script, String(rounds)], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    child.on("close", (code) => {
      const line = stdout.trim().split("\n").at(-1);
      resolve({ code, report: line ? (JSON.parse(line) as LoopReport) : undefined, stderr });
    });
  });
}

const total = (threads: Record<string, number>): number => Object.values(threads).reduce((a, b) => a + b, 0);

test("50 orchestrators created, run (a step timing out right before close) and closed leave no threads and no heap behind", async (t) => {
  const { code, report, stderr } = await runLoop(50);
  assert.equal(code, 0, `the loop process failed:\n${stderr}`);
  assert.ok(report, `the loop printed nothing:\n${stderr}`);
  const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
  t.diagnostic(
    `${report.rounds} orchestrators in ${report.loopMs} ms; OS threads ${total(report.before.threads)} -> ${total(report.after.threads)}; ` +
      `heap after gc ${mb(report.before.heap)} -> ${mb(report.after.heap)} MB; rss ${mb(report.before.rss)} -> ${mb(report.after.rss)} MB`,
  );
  // Every run was cancelled by its close(), whether it came as a step timed out or while one spun.
  assert.deepEqual(Object.keys(report.outcomes).sort(), [
    "closed as late timed out: cancelled true, late:timed_out busy:cancelled, poolThreads 0",
    "closed while busy spins: cancelled true, late:timed_out busy:cancelled, poolThreads 0",
  ]);
  assert.ok(total(report.after.threads) <= total(report.before.threads), `threads left behind: ${JSON.stringify(report)}`);
  assert.ok(report.after.heap - report.before.heap < 20 * 2 ** 20, `heap grew by ${mb(report.after.heap - report.before.heap)} MB`);
});

test("close() stops a busy-looping step when no signal, timeout or fail-fast was set", async () => {
  const started = startCell();
  // One thread, two steps in flight: `spin` runs on the thread, `queued` waits in the pool's queue.
  const config = new ParallelOrchestratorConfig().withThreads(1).withMaxConcurrentTasks(2).withLogger(quiet);
  const o = new ParallelOrchestrator(strategyOf(["spin", "Spin", "forever", undefined, { cost: 2 }], ["queued", "Spin", "forever"]), config)
    .addAgent("Spin", { module: agent("spin"), options: { started } });
  after(() => o.close());
  const running = o.execute("t");
  await waitForCell(started);
  const closedAt = Date.now();
  await o.close();
  const result = await running;
  const ms = Date.now() - closedAt;
  assert.ok(ms < 2000, `execute resolved ${ms} ms after close()`);
  assert.equal(result.cancelled, true);
  assert.deepEqual(result.steps.map((s) => [s.stepId, s.status, s.error?.code]), [
    ["spin", "cancelled", "WAVEPOOL_RUN_CANCELLED"],
    ["queued", "cancelled", "WAVEPOOL_RUN_CANCELLED"],
  ]);
  assert.equal(Atomics.load(started, 0), 1, "the queued step never ran");
  assert.equal(o.poolThreads, 0);
});

test("close() stops a busy-looping step on a pool given with withPool, which it leaves open", async () => {
  const pool = new Piscina({ minThreads: 1, maxThreads: 1, idleTimeout: Infinity });
  after(() => pool.destroy());
  const started = startCell();
  const o = new ParallelOrchestrator(strategyOf(["spin", "Spin", "forever"]), new ParallelOrchestratorConfig().withPool(pool).withLogger(quiet))
    .addAgent("Spin", { module: agent("spin"), options: { started } });
  after(() => o.close());
  const running = o.execute("t");
  await waitForCell(started);
  await o.close();
  // close() does not destroy this pool: only the attempt's own controller can stop the step.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 3000)));
  const result = await Promise.race([running, deadline]);
  clearTimeout(timer);
  assert.ok(result, "execute resolves after close(), though no signal, timeout or fail-fast was set");
  assert.equal(result.cancelled, true);
  assert.equal(result.steps[0]!.status, "cancelled");
  assert.equal(pool.threads.length, 1, "the pool is still there, its thread replaced");
});

test("close() while preflight loads the agents rejects execute with OrchestratorClosedError, promptly", async () => {
  const o = new ParallelOrchestrator(strategyOf(["a", "Slow", "x"]), new ParallelOrchestratorConfig().withThreads(1).withLogger(quiet))
    .addAgent("Slow", broken("slow-import"));
  after(() => o.close());
  // The module says when a thread began importing it; its import then takes 2 s.
  const channel = new BroadcastChannel("wavepool-test:slow-import");
  after(() => channel.close());
  const loading = new Promise((resolve) => channel.addEventListener("message", resolve, { once: true }));
  const running = o.execute("t");
  await loading;
  const closedAt = Date.now();
  const rejected = assert.rejects(running, (error: Error) => {
    assert.ok(error instanceof OrchestratorClosedError, `rejected with ${error?.name}: ${error?.message}`);
    assert.doesNotMatch(error.message, /Terminating worker thread/);
    return true;
  });
  await o.close();
  await rejected;
  const ms = Date.now() - closedAt;
  assert.ok(ms < 1000, `execute settled ${ms} ms after close(); the import alone takes 2000 ms`);
  assert.equal(o.poolThreads, 0);
});

test("close() while execute is still checking its options leaves no pool behind", async () => {
  const o = new ParallelOrchestrator(strategyOf(["a", "Echo", "x"]), new ParallelOrchestratorConfig().withThreads(1).withLogger(quiet))
    .addAgent("Echo", agent("echo"));
  after(() => o.close());
  // execute() checks the state file's directory before it needs the pool; close() comes meanwhile.
  const rejected = assert.rejects(o.execute("t", { saveStateTo: join(tmp, "early.json") }), OrchestratorClosedError);
  await o.close();
  await rejected;
  assert.equal(o.poolThreads, 0, "no pool is created for a closed orchestrator");
});

test("close() at the last moment of startup: the run never starts on the closed orchestrator", async () => {
  // `b` would spin for 3 s: long enough to show a run that went on after close(), short enough
  // that such a run, on a pool nobody can close any more, does not keep this process alive.
  const strategy = strategyOf(["a", "Echo", "x"], ["b", "Spin", "spin 3000", undefined, { dependsOn: ["a"] }]);
  const o = new ParallelOrchestrator(strategy, new ParallelOrchestratorConfig().withThreads(1).withLogger(quiet))
    .addAgent("Echo", agent("echo")).addAgent("Spin", agent("spin"));
  after(() => o.close());
  const events: string[] = [];
  let closed: Promise<void> | undefined;
  // execute() reads `onEvent` once the agents are loaded, when it builds the run, before the first
  // save of the state file: close() comes exactly there.
  const options = {
    saveStateTo: join(tmp, "late.json"),
    get onEvent() {
      closed ??= o.close();
      return (event: { type: string }) => events.push(event.type);
    },
  };
  const settled = o.execute("t", options).then(
    (result) => `resolved: cancelled ${result.cancelled}, ${result.steps.map((s) => s.status).join(" ")}`,
    (error: Error) => `rejected: ${error.name}`,
  );
  const outcome = await settled;
  assert.ok(closed, "execute read onEvent");
  await closed;
  assert.ok(outcome === "rejected: OrchestratorClosedError" || /^resolved: cancelled true/.test(outcome), outcome);
  assert.equal(events.includes("step:start"), false, `no step starts after close(): ${events.join(", ")}`);
  assert.equal(o.poolThreads, 0);
});
