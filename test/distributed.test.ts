// Distributed runs on a real Redis with real `wavepool worker` processes: steps spread over workers,
// outputs that keep their types between workers, timeouts enforced on a worker, an unreachable
// server, modules a worker refuses, and a worker killed with -9 under a step.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BackendUnavailableError, ParallelOrchestrator, ParallelOrchestratorConfig, type StrategyMap } from "wavepool";
import { redisBackend } from "wavepool/distributed";
import { spawn } from "node:child_process";
import { CLI, cli, finished, fixture, yaml } from "./cli-process.js";
import { agent, strategyOf } from "./helpers.js";
import { FIXTURES, freePort, redisMissing, type WorkerProcess } from "./fixtures/redis-server.js";
import { redisSuite } from "./fixtures/redis-suite.js";
import { linesOnce } from "./fixtures/file-lines.js";

const missing = redisMissing();
const dir = mkdtempSync(join(tmpdir(), "wavepool-distributed-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("distributed runs", { skip: missing }, () => {
  const redis = redisSuite();

  const workersOn = (queue: string, n: number, args?: string[]): Promise<WorkerProcess[]> => redis.workersOn(queue, n, args);

  function orchestrator(strategy: StrategyMap, queue: string, config = new ParallelOrchestratorConfig()): ParallelOrchestrator {
    return new ParallelOrchestrator(strategy, redis.onQueue(queue, config));
  }

  test("steps spread over three workers give the context a local run gives", async (t) => {
    const queue = `spread-${randomUUID().slice(0, 8)}`;
    await workersOn(queue, 3);
    const ran = join(dir, `${queue}.ran`);
    const options = { ran, ms: 150 };
    const strategy = strategyOf(
      ["a", "Mark", "a {{ task }}"], ["b", "Mark", "b {{ task }}"], ["c", "Mark", "c {{ task }}"], ["d", "Mark", "d {{ task }}"],
      ["e", "Mark", "e {{ a_out.digest }} {{ b_out.digest }}"], ["f", "Mark", "f {{ c_out.digest }} {{ d_out.digest }} {{ e_out.digest }}"],
    );
    const local = new ParallelOrchestrator(strategy).addAgent("Mark", { module: agent("mark"), options });
    t.after(() => local.close());
    const remote = orchestrator(strategy, queue).addAgent("Mark", { module: agent("mark"), options });
    t.after(() => remote.close());
    const expected = await local.execute("go");
    const result = await remote.execute("go");
    assert.deepEqual(result.steps.map((s) => s.status), Array(6).fill("completed"));
    assert.deepEqual(result.context, expected.context);
    const used = new Set(result.steps.map((s) => s.worker));
    assert.ok(!used.has(undefined), "every record names its worker");
    assert.ok(used.size >= 2, `the steps ran on ${[...used].join(", ")}`);
  });

  test("Map, Date, BigInt and typed arrays cross between steps on two different workers", async (t) => {
    const queue = `types-${randomUUID().slice(0, 8)}`;
    const [first] = await workersOn(queue, 1);
    const ran = join(dir, `${queue}.ran`);
    const strategy = strategyOf(["a", "Mark", "a"], ["b", "Echo", "{{ a_out.stepId }}"]);
    let second: Promise<WorkerProcess[]> | undefined;
    t.after(() => first!.stop("SIGKILL"));
    const o = orchestrator(strategy, queue).addAgent("Mark", { module: agent("mark"), options: { ran, ms: 1 } }).addAgent("Echo", agent("echo"));
    t.after(() => o.close());
    // Once a ended (before b is enqueued), its worker is frozen and another starts: b surely runs there.
    const result = await o.execute("go", {
      onEvent: (event) => {
        if (event.type !== "step:end" || event.stepId !== "a") return;
        process.kill(first!.pid, "SIGSTOP");
        second = workersOn(queue, 1);
      },
    });
    await second;
    const [a, b] = result.steps;
    assert.equal(b!.status, "completed", JSON.stringify(b!.error));
    assert.notEqual(a!.worker, b!.worker);
    const seen = (result.context.get("b_out") as { inputs: Record<string, unknown> }).inputs.a_out as Record<string, unknown>;
    assert.ok(seen.when instanceof Date && seen.when.getTime() === 0);
    assert.ok(seen.table instanceof Map && seen.table.get("a") === seen.digest);
    assert.equal(typeof seen.big, "bigint");
    assert.ok(seen.bulk instanceof Uint8Array && seen.bulk.length === 96 * 1024);
    assert.deepEqual(seen, result.context.get("a_out"));
  });

  test("a remote busy loop is stopped by its timeout while its worker serves the next steps", async (t) => {
    const queue = `timeout-${randomUUID().slice(0, 8)}`;
    await workersOn(queue, 1, ["--threads", "2"]);
    const strategy = strategyOf(
      ["spin", "Spin", "spin", "spin_out", { timeoutMs: 500 }],
      ["nap", "Sleep", "sleep 100"],
      ["after", "Sleep", "sleep 10 {{ nap_out }}"],
    );
    const o = orchestrator(strategy, queue).addAgent("Spin", agent("busy-loop")).addAgent("Sleep", agent("sleep"));
    t.after(() => o.close());
    const result = await o.execute("go");
    const [spin, nap, next] = result.steps;
    assert.equal(spin!.status, "timed_out");
    assert.equal(spin!.error?.code, "WAVEPOOL_STEP_TIMEOUT");
    assert.equal(nap!.status, "completed");
    assert.equal(next!.status, "completed");
    assert.equal(nap!.worker, spin!.worker);
  });

  test("an unreachable Redis fails execute with BackendUnavailableError naming it, before anything runs", async (t) => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const ran = join(dir, "unreachable.ran");
    const o = new ParallelOrchestrator(strategyOf(["a", "Mark", "a"]), new ParallelOrchestratorConfig().withBackend(redisBackend({ connection: url })))
      .addAgent("Mark", { module: agent("mark"), options: { ran, ms: 1 } });
    t.after(() => o.close());
    await assert.rejects(o.execute("go"), (error: unknown) => {
      assert.ok(error instanceof BackendUnavailableError);
      assert.equal(error.code, "WAVEPOOL_BACKEND_UNAVAILABLE");
      assert.equal(error.url, url);
      assert.match(error.message, new RegExp(url.replace(/[./]/g, "\\$&")));
      return true;
    });
    assert.equal(existsSync(ran), false);
  });

  test("a worker refuses a module outside its allowed roots, and one whose content differs", async (t) => {
    const queue = `refuse-${randomUUID().slice(0, 8)}`;
    const own = mkdtempSync(join(dir, "own-"));
    const [worker] = await workersOn(queue, 1, ["--allow", own]);
    // The module the worker may import, and then changes under the run (its hash is taken at start).
    const module = join(own, "agent.mjs");
    const agentJs = pathToFileURL(fileURLToPath(new URL("../src/agent.js", import.meta.url))).href;
    writeFileSync(module, `import { defineAgent } from ${JSON.stringify(agentJs)};\nexport default defineAgent({ execute: () => "one" });\n`);
    const outside = join(dir, `${queue}-outside.js`);
    copyFileSync(join(FIXTURES, "agents", "sleep.js"), outside);
    // Outside: a path not under any --allow of this worker (it was started with `own` only... and FIXTURES).
    const strategy = strategyOf(["mine", "Mine", "x"], ["theirs", "Theirs", "sleep 1"]);
    const o = orchestrator(strategy, queue).addAgent("Mine", module).addAgent("Theirs", outside);
    t.after(() => o.close());
    const result = await o.execute("go", {
      onEvent: (event) => {
        if (event.type === "run:start") writeFileSync(module, readFileSync(module, "utf8").replace('"one"', '"two"'));
      },
    });
    const [mine, theirs] = result.steps;
    assert.equal(mine!.status, "failed");
    assert.equal(mine!.error?.code, "WAVEPOOL_AGENT_LOAD");
    assert.match(mine!.error!.message, /differs from the coordinator's/);
    assert.equal(theirs!.status, "failed");
    assert.equal(theirs!.error?.code, "WAVEPOOL_AGENT_LOAD");
    assert.match(theirs!.error!.message, /outside the directories this worker may import from/);
    // Refused before any thread ran them: no attempt, but the record names the worker that refused.
    for (const refused of [mine!, theirs!]) {
      assert.ok(refused.worker?.endsWith(`:${worker!.pid}`), `${refused.stepId} names its worker: ${refused.worker}`);
      assert.equal(refused.threadId, -1);
      assert.deepEqual(refused.history, []);
    }
  });

  test("wavepool run --redis (and WAVEPOOL_REDIS_URL) runs on workers with a local run's output; a worker exits 0 on SIGTERM", async () => {
    const queue = `cli-${randomUUID().slice(0, 8)}`;
    const [worker] = await workersOn(queue, 1);
    const path = join(dir, `${queue}.yaml`);
    writeFileSync(path, yaml({ Echo: fixture("echo"), Sleep: fixture("sleep") }, [
      `{ id: a, description: A, agent: Sleep, intent: "sleep 20", output: a_out }`,
      `{ id: b, description: B, agent: Echo, intent: "{{ task }} from {{ a_out }}", output: article }`,
    ]));
    const flag = await cli(["run", path, "--task", "Write it", "--redis", redis.url, "--queue", queue, "--json"]);
    assert.equal(flag.code, 0, flag.stderr);
    const result = JSON.parse(flag.stdout);
    assert.equal(result.context.article.intent, "Write it from sleep 20");
    assert.ok(result.steps.every((s: { worker?: string }) => s.worker === `${result.steps[0].worker}` && s.worker!.endsWith(`:${worker!.pid}`)));
    const env = await finished(spawn(process.execPath, [CLI, "run", path, "--task", "Write it", "--queue", queue, "--json"], {
      env: { ...process.env, WAVEPOOL_REDIS_URL: redis.url }, stdio: ["ignore", "pipe", "pipe"],
    }));
    assert.equal(env.code, 0, env.stderr);
    assert.ok(JSON.parse(env.stdout).steps[0].worker.endsWith(`:${worker!.pid}`));
    assert.equal(await worker!.stop("SIGTERM"), 0);
  });

  test("kill -9 of the worker running a step: the step runs again on another worker, nothing finished runs again", async (t) => {
    const queue = `kill-${randomUUID().slice(0, 8)}`;
    const fast = ["--lock", "1500ms", "--stalled-interval", "500ms"];
    const pair = await workersOn(queue, 2, fast);
    const ran = join(dir, `${queue}.ran`);
    const strategy = strategyOf(["first", "PidMark", "first"], ["slow", "PidMark", "slow {{ first_out }}"]);
    const o = orchestrator(strategy, queue).addAgent("PidMark", { module: agent("pid-mark"), options: { ran, ms: 1500 } });
    t.after(() => o.close());
    const running = o.execute("go");
    // The worker that started `slow` (the second line) is killed under it.
    const lines = await linesOnce(ran, 2);
    const victim = Number(lines[1]!.split(" ")[1]);
    await pair.find((w) => w.pid === victim)!.stop("SIGKILL");
    const result = await running;
    const [first, slow] = result.steps;
    assert.equal(slow!.status, "completed", JSON.stringify(slow!.error));
    assert.equal(slow!.attempts, 2);
    assert.equal(slow!.history.length, 2);
    assert.equal(slow!.history[0]!.error?.code, "WAVEPOOL_WORKER_CRASHED");
    assert.equal(slow!.history[1]!.status, "completed");
    assert.notEqual(slow!.worker, undefined);
    assert.ok(!slow!.worker!.endsWith(`:${victim}`), `slow ran again on ${slow!.worker}, not on the killed ${victim}`);
    assert.equal(first!.attempts, 1);
    const all = readFileSync(ran, "utf8").split("\n").filter(Boolean);
    assert.deepEqual(all.map((l) => l.split(" ")[0]), ["first", "slow", "slow"]);
  });
});
