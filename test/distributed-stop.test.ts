// A worker stopped while its steps run, on a real Redis with real `wavepool worker` processes: a
// second SIGTERM or Ctrl-C ends the grace period at once and hands every running step back (it runs
// again elsewhere without waiting for its lock), and a step handed back while its run is being
// cancelled ends cancelled, as every other step the cancel stopped.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ParallelOrchestrator, ParallelOrchestratorConfig } from "wavepool";
import { agent, strategyOf } from "./helpers.js";
import { redisMissing } from "./fixtures/redis-server.js";
import { redisSuite } from "./fixtures/redis-suite.js";
import { assertHandedBack } from "./fixtures/handed-back.js";
import { linesOnce } from "./fixtures/file-lines.js";
import { saidOnStderr } from "./fixtures/redis-variants.js";

const missing = redisMissing();
const dir = mkdtempSync(join(tmpdir(), "wavepool-stop-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("distributed runs: a worker stopped under its steps", { skip: missing }, () => {
  const redis = redisSuite();

  /** Files the agents write to and wait for, for one test. */
  function files(queue: string): { ran: string; gates: string; open(stepId: string): void } {
    const gates = mkdtempSync(join(dir, `${queue}-gates-`));
    return { ran: join(dir, `${queue}.ran`), gates, open: (stepId) => writeFileSync(join(gates, stepId), "") };
  }

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    test(`a second ${signal} ends the grace at once: the running step is handed back now and runs on the other worker; the worker exits 0`, async (t) => {
      const queue = `again-${signal.toLowerCase()}-${randomUUID().slice(0, 8)}`;
      // A grace of a minute and locks of 30 s: only the second signal can end the step's first try
      // quickly, and a step recovered as stalled would say that its lock expired.
      const pair = await redis.workersOn(queue, 2, ["--grace", "60s"]);
      const { ran, gates, open } = files(queue);
      const strategy = strategyOf(["long", "Gate", "long"], ["after", "Gate", "after {{ long_out.intent }}"]);
      const o = new ParallelOrchestrator(strategy, redis.onQueue(queue)).addAgent("Gate", { module: agent("gate"), options: { ran, gates } });
      t.after(() => o.close());
      open("after");
      const running = o.execute("go");
      const victim = Number((await linesOnce(ran, 1))[0]!.split(" ")[1]);
      const stopped = pair.find((w) => w.pid === victim)!;
      stopped.child.kill(signal);
      await saidOnStderr(stopped, /stopping/);
      // The step ignores its signal and its gate is closed: it would hold the worker for the minute.
      assert.equal(await stopped.stop(signal), 0);
      assert.match(stopped.stderr(), new RegExp(`${signal} again: handing back every running step now`));
      // Its next try is on the other worker, at once.
      assert.equal((await linesOnce(ran, 2))[1]!.split(" ")[0], "long");
      open("long");
      const result = await running;

      assert.equal(result.success, true, JSON.stringify(result.steps.map((s) => s.error)));
      const [long, next] = result.steps;
      assertHandedBack(long!, victim, /was stopped, and handed the step back at once \(a second SIGTERM or Ctrl-C ended its grace period of 60000 ms\)/);
      assert.equal(next!.status, "completed");
    });
  }

  test("a step handed back while its run is being cancelled ends cancelled, not failed", async (t) => {
    const queue = `cancel-back-${randomUUID().slice(0, 8)}`;
    // A grace of 1 ms: SIGTERM hands the step back at once (its signal aborts; it stops when its gate opens).
    const worker = await redis.workerOn(queue, ["--grace", "1ms"]);
    const { ran, gates, open } = files(queue);
    const strategy = strategyOf(["long", "LateStop", "long"], ["after", "LateStop", "after {{ long_out }}"]);
    // A cancel's own grace of a minute: the step ends when the test opens its gate, not before.
    const config = new ParallelOrchestratorConfig().withCancelGrace(60_000);
    const o = new ParallelOrchestrator(strategy, redis.onQueue(queue, config)).addAgent("LateStop", { module: agent("late-stop"), options: { ran, gates } });
    t.after(() => o.close());
    const stop = new AbortController();
    const running = o.execute("go", { signal: stop.signal });
    await linesOnce(ran, 1);
    const exited = worker.stop("SIGTERM");
    // The worker is handing the step back (its agent's signal aborted)...
    assert.deepEqual((await linesOnce(ran, 2))[1], "long aborted");
    // ...when its run is cancelled; then the step stops.
    stop.abort();
    open("long");
    const result = await running;
    assert.equal(await exited, 0);

    assert.equal(result.cancelled, true);
    const [long, after] = result.steps;
    assert.equal(long!.status, "cancelled", JSON.stringify(long!.error));
    assert.equal(long!.error?.code, "WAVEPOOL_RUN_CANCELLED");
    assert.equal(long!.attempts, 1, "a cancelled run runs no step again");
    assert.ok(long!.worker!.endsWith(`:${worker.pid}`), `the record names the worker that handed it back: ${long!.worker}`);
    assert.equal(after!.status, "cancelled");
  });
});
