// Distributed runs on a Redis that wants a password, and on one that speaks only TLS (`rediss://`,
// a self-signed certificate made here): workers and runs that have the right credentials and trust
// the CA get through; the others fail with BackendUnavailableError that names the server, says
// what to do, and never shows the password (not in the message, the error's fields, nor its cause).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { after, before, describe, test } from "node:test";
import { BackendUnavailableError, ParallelOrchestrator, ParallelOrchestratorConfig } from "wavepool";
import { redisBackend, type RedisConnection } from "wavepool/distributed";
import { CLI, finished, fixture, yaml } from "./cli-process.js";
import { agent, strategyOf } from "./helpers.js";
import { FIXTURES, redisMissing, startWorker, type WorkerProcess } from "./fixtures/redis-server.js";
import { selfSignedCertificate, startRedisVariant, startWorkerWith, type Certificate, type RestartableRedis } from "./fixtures/redis-variants.js";

const missing = redisMissing();
const PASSWORD = `pw-${randomUUID()}`;
const WRONG = `wrong-${randomUUID()}`;
const dir = mkdtempSync(join(tmpdir(), "wavepool-auth-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `text` says nothing of either password. */
function assertNoPassword(text: string, what: string): void {
  assert.ok(!text.includes(PASSWORD) && !text.includes(WRONG), `${what} shows a password:\n${text}`);
}

describe("distributed runs with a password and over TLS", { skip: missing }, () => {
  let plain: RestartableRedis;
  let tls: RestartableRedis | undefined;
  let cert: Certificate | undefined;
  /** Why the TLS tests cannot run here (no openssl, a redis-server built without TLS). */
  let tlsSkip: string | undefined;
  const workers: WorkerProcess[] = [];
  before(async () => {
    plain = await startRedisVariant({ password: PASSWORD });
    const made = selfSignedCertificate(dir);
    if (typeof made === "string") {
      tlsSkip = made;
      return;
    }
    cert = made;
    tls = await startRedisVariant({ password: PASSWORD, tls: cert }).catch((error: unknown) => {
      tlsSkip = `redis-server does not serve TLS here: ${(error as Error).message}`;
      return undefined;
    });
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop("SIGKILL")));
    await plain?.stop();
    await tls?.stop();
  });

  function orchestrator(connection: RedisConnection, queue: string, ran: string): ParallelOrchestrator {
    const config = new ParallelOrchestratorConfig().withBackend(redisBackend({ connection, queue }));
    return new ParallelOrchestrator(strategyOf(["a", "Mark", "a"], ["b", "Mark", "b {{ a_out.digest }}"]), config)
      .addAgent("Mark", { module: agent("mark"), options: { ran, ms: 1 } });
  }

  async function assertRefused(connection: RedisConnection, masked: string, advice: RegExp): Promise<void> {
    const ran = join(dir, `refused-${randomUUID().slice(0, 8)}.ran`);
    const o = orchestrator(connection, `refused-${randomUUID().slice(0, 8)}`, ran);
    try {
      await assert.rejects(o.execute("go"), (error: unknown) => {
        assert.ok(error instanceof BackendUnavailableError, inspect(error));
        assert.equal(error.url, masked);
        assert.ok(error.message.includes(masked), error.message);
        assert.match(error.message, advice);
        assertNoPassword(inspect(error, { depth: Infinity, showHidden: true }), "the error");
        return true;
      });
    } finally {
      await o.close();
    }
    assert.equal(existsSync(ran), false, "nothing ran");
  }

  test("a password in the URL: a worker and a run get through; a wrong or missing one fails execute, the password masked", async (t) => {
    const queue = `auth-${randomUUID().slice(0, 8)}`;
    const [worker] = await Promise.all([startWorker(plain.url, queue)]);
    workers.push(worker!);
    const ran = join(dir, `${queue}.ran`);
    const o = orchestrator(plain.url, queue, ran);
    t.after(() => o.close());
    const result = await o.execute("go");
    assert.deepEqual(result.steps.map((s) => s.status), ["completed", "completed"]);
    assert.ok(result.steps.every((s) => s.worker?.endsWith(`:${worker!.pid}`)), JSON.stringify(result.steps.map((s) => s.worker)));

    await assertRefused(plain.urlWithPassword(WRONG), `redis://:***@127.0.0.1:${plain.port}`, /refused the credentials: check the password/);
    await assertRefused(`redis://127.0.0.1:${plain.port}`, `redis://127.0.0.1:${plain.port}`, /refused the credentials/);
    await assertRefused({ host: "127.0.0.1", port: plain.port, password: WRONG }, `redis://127.0.0.1:${plain.port}`, /refused the credentials/);
  });

  test("a worker and `wavepool run` given a wrong password exit with the reason and the URL, never printing the password", async () => {
    const url = plain.urlWithPassword(WRONG);
    const worker = await finished(spawn(process.execPath, [CLI, "worker", "--redis", url, "--queue", "wrong", "--allow", FIXTURES], { stdio: ["ignore", "pipe", "pipe"] }));
    assert.notEqual(worker.code, 0);
    assert.match(worker.stderr, /WAVEPOOL_BACKEND_UNAVAILABLE|cannot be reached/);
    assert.ok(worker.stderr.includes(`redis://:***@127.0.0.1:${plain.port}`), worker.stderr);
    assertNoPassword(worker.stdout + worker.stderr, "the worker's output");

    const path = join(dir, "wrong.yaml");
    writeFileSync(path, yaml({ Echo: fixture("echo") }, [`{ id: a, description: A, agent: Echo, intent: "x", output: a_out }`]));
    for (const json of [[], ["--json"]]) {
      const run = await finished(spawn(process.execPath, [CLI, "run", path, "--task", "t", "--redis", url, ...json], { stdio: ["ignore", "pipe", "pipe"] }));
      assert.notEqual(run.code, 0);
      assert.ok((run.stdout + run.stderr).includes(`redis://:***@127.0.0.1:${plain.port}`), run.stdout + run.stderr);
      assertNoPassword(run.stdout + run.stderr, `wavepool run ${json.join(" ")}`);
    }
  });

  test("rediss:// with a password: a worker trusting the CA (NODE_EXTRA_CA_CERTS) and `wavepool run --redis rediss://` get through", async (t) => {
    if (tlsSkip !== undefined) return t.skip(tlsSkip);
    const queue = `tls-${randomUUID().slice(0, 8)}`;
    const trust = { NODE_EXTRA_CA_CERTS: cert!.cert };
    const worker = await startWorkerWith(tls!.url, queue, [], trust);
    workers.push(worker);
    const path = join(dir, `${queue}.yaml`);
    writeFileSync(path, yaml({ Echo: fixture("echo"), Sleep: fixture("sleep") }, [
      `{ id: a, description: A, agent: Sleep, intent: "sleep 5", output: a_out }`,
      `{ id: b, description: B, agent: Echo, intent: "{{ task }} after {{ a_out }}", output: b_out }`,
    ]));
    const run = await finished(spawn(process.execPath, [CLI, "run", path, "--task", "t", "--redis", tls!.url, "--queue", queue, "--json"], {
      env: { ...process.env, ...trust }, stdio: ["ignore", "pipe", "pipe"],
    }));
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { context: Record<string, { intent: string }>; steps: { worker?: string }[] };
    assert.equal(result.context.b_out!.intent, "t after sleep 5");
    assert.ok(result.steps.every((s) => s.worker?.endsWith(`:${worker.pid}`)), JSON.stringify(result.steps));
    assertNoPassword(run.stderr + worker.stderr(), "the run's and the worker's stderr");
  });

  test("rediss:// in code: ioredis options with tls.ca get through; a URL whose CA is not trusted fails, saying how to trust it", async (t) => {
    if (tlsSkip !== undefined) return t.skip(tlsSkip);
    const queue = `tls-code-${randomUUID().slice(0, 8)}`;
    const worker = await startWorkerWith(tls!.url, queue, [], { NODE_EXTRA_CA_CERTS: cert!.cert });
    workers.push(worker);
    const ran = join(dir, `${queue}.ran`);
    const o = orchestrator({ host: "127.0.0.1", port: tls!.port, password: PASSWORD, tls: { ca: readFileSync(cert!.cert) } }, queue, ran);
    t.after(() => o.close());
    const result = await o.execute("go");
    assert.deepEqual(result.steps.map((s) => s.status), ["completed", "completed"]);
    assert.ok(result.steps.every((s) => s.worker?.endsWith(`:${worker.pid}`)));

    // This process was started without NODE_EXTRA_CA_CERTS: the self-signed certificate is not trusted.
    await assertRefused(tls!.url, `rediss://:***@127.0.0.1:${tls!.port}`, /TLS certificate is not trusted here: trust its CA with NODE_EXTRA_CA_CERTS/);
  });
});
