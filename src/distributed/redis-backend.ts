// `redisBackend()`: runs a strategy's steps on BullMQ queues in Redis, executed by `wavepool worker`
// processes on any machine that reaches the server and has the same agent modules. The coordinator
// (the orchestrator that uses it) keeps scheduling: it enqueues only ready steps, at most its run's
// concurrency limit at once.
import { Queue, QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { AgentLoadError, StateMismatchError } from "../errors.js";
import type { AttemptRunner, Backend, BackendRun } from "../run/attempt-runner.js";
import { moduleHash } from "./agent-check.js";
import { describeConnection, probe, redisClient, type RedisConnection } from "./connection.js";
import { outputKey, PREFIX, type JobResult } from "./job-data.js";
import { OutageLimit } from "./outage-limit.js";
import type { RemoteFlight } from "./remote-flight.js";
import { RemoteRun } from "./remote-run.js";

export interface RedisBackendOptions {
  /**
   * The Redis server: a URL (`redis://host:6379`, `rediss://` for TLS, `redis://:password@host`) or
   * ioredis options.
   * @example "redis://127.0.0.1:6379"
   */
  connection: RedisConnection;
  /** The queue's name; workers started with the same `--queue` take its steps. @default "wavepool" */
  queue?: string;
  /** Steps of a run enqueued at once when its config sets no `maxConcurrentTasks`. @default 64 */
  concurrency?: number;
  /**
   * How many times one step may lose its worker (killed, machine lost) and run again at once; past
   * that it fails with `WorkerCrashedError` (and the retry policy decides). @default 1
   */
  maxLostAttempts?: number;
  /**
   * How long (ms) a run waits for a Redis server it lost mid-run. Past it, the run ends instead of
   * waiting: its steps in flight fail with `BackendUnavailableError` naming the server, steps it would
   * start fail the same way, what completed stays in the result and the state file (resume with
   * `resumeFrom` once the server is back), and `execute` resolves. `0` or `Infinity`: wait forever.
   *
   * The default leaves room for what usually ends on its own: ioredis and BullMQ reconnect by
   * themselves (at most 2 s apart), a restart of redis-server takes seconds (more to load a large
   * dataset), and a Sentinel or managed failover about half a minute to a minute (Sentinel's default
   * `down-after-milliseconds` alone is 30 s). A run that heard nothing for two minutes is one its user
   * would rather see end with what it has. Workers keep running their steps through an outage either
   * way. A run started while the server is down fails at once, whatever this is.
   * @default 120000
   * @example redisBackend({ connection: "redis://127.0.0.1:6379", outageTimeoutMs: 30_000 })
   */
  outageTimeoutMs?: number;
}

/** `outageTimeoutMs` when not given (see there why). */
const DEFAULT_OUTAGE_TIMEOUT_MS = 120_000;

/**
 * A backend for `ParallelOrchestratorConfig#withBackend`.
 * @example
 * const config = new ParallelOrchestratorConfig()
 *   .withBackend(redisBackend({ connection: "redis://127.0.0.1:6379", queue: "wavepool" }));
 */
export function redisBackend(options: RedisBackendOptions): Backend {
  return new RedisBackend(options);
}

class RedisBackend implements Backend {
  readonly concurrency: number;
  readonly #o: RedisBackendOptions;
  readonly #queueName: string;
  readonly #flights = new Map<string, RemoteFlight>();
  /** Runs not closed yet: closing the backend closes them first (what they kept in Redis is deleted). */
  readonly #runs = new Set<RemoteRun>();
  readonly #clients: Redis[] = [];
  /** The ids of the runs open on this backend: two runs of one id would share their jobs. */
  readonly #runIds = new Set<string>();
  #connected: Promise<{ queue: Queue; events: QueueEvents; client: Redis }> | undefined;
  /** The server, fit for a message (its password masked). */
  readonly #url: string;
  /** How long a run waits for a server it lost; flights end with it past that. */
  readonly #outage: OutageLimit;

  constructor(options: RedisBackendOptions) {
    if (typeof options !== "object" || options === null || (typeof options.connection !== "string" && typeof options.connection !== "object")) {
      throw new TypeError("Expected `redisBackend` options with a `connection`: a redis:// URL or ioredis options");
    }
    const queue = options.queue ?? "wavepool";
    if (typeof queue !== "string" || !/^[A-Za-z0-9_.-]+$/.test(queue)) {
      throw new TypeError(`Expected \`queue\` to be a name of letters, digits, '.', '_' or '-', got ${JSON.stringify(queue)}`);
    }
    for (const [name, value, min] of [["concurrency", options.concurrency, 1], ["maxLostAttempts", options.maxLostAttempts, 0]] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < min)) {
        throw new RangeError(`Expected \`${name}\` to be an integer from ${min} and up, got \`${String(value)}\` (${typeof value})`);
      }
    }
    const outage = options.outageTimeoutMs ?? DEFAULT_OUTAGE_TIMEOUT_MS;
    if (typeof outage !== "number" || !(outage === Infinity || (Number.isInteger(outage) && outage >= 0 && outage <= 2_147_483_647))) {
      throw new RangeError(`Expected \`outageTimeoutMs\` to be a whole number of milliseconds from 0 to 2147483647, or Infinity (0 and Infinity wait forever), got \`${String(outage)}\` (${typeof outage})`);
    }
    this.#url = describeConnection(options.connection);
    this.#outage = new OutageLimit(outage, () => {
      for (const flight of [...this.#flights.values()]) flight.unreachable(this.#url, this.#outage.downForMs());
    });
    this.#o = options;
    this.#queueName = queue;
    this.concurrency = options.concurrency ?? 64;
  }

  async open(run: BackendRun): Promise<AttemptRunner> {
    // Every run, not only the first: connections made before an outage would wait for the server
    // as long as it is down, and the run with them, with nothing said.
    await probe(this.#o.connection);
    const { queue, client } = await this.#connect();
    if (this.#runIds.has(run.runId)) {
      throw new StateMismatchError(`run ${run.runId} is in flight on this backend already: its saved state was resumed twice at once; resume a state once, after its run ended`);
    }
    this.#runIds.add(run.runId);
    try {
      return new RemoteRun({
        queue, client, queueName: this.#queueName, flights: this.#flights, runs: this.#runs, maxLost: this.#o.maxLostAttempts ?? 1,
        connect: () => this.#reader(), closed: () => this.#runIds.delete(run.runId), outage: this.#outage, url: this.#url,
      }, run, await this.#hashes(run));
    } catch (error) {
      this.#runIds.delete(run.runId);
      throw error;
    }
  }

  /** The sha256 of each agent module of `run`, by module URL: what workers check their copies against. */
  async #hashes(run: BackendRun): Promise<Map<string, string>> {
    const hashes = new Map<string, string>();
    for (const agent of run.agents) {
      if (hashes.has(agent.module)) continue;
      try {
        hashes.set(agent.module, await moduleHash(agent.module));
      } catch (error) {
        throw new AgentLoadError(`agent ${agent.name}: its module ${agent.module} cannot be read to hash it for the workers (${(error as Error)?.message ?? String(error)})`, { agent: agent.name, cause: error });
      }
    }
    return hashes;
  }

  /** A connection for one run's calls stream; closed by the run (or with the others). */
  #reader(): Redis {
    const client = redisClient(this.#o.connection);
    client.on("error", () => undefined);
    this.#clients.push(client);
    client.once("end", () => {
      const k = this.#clients.indexOf(client);
      if (k >= 0) this.#clients.splice(k, 1);
    });
    return client;
  }

  /** Connects once: a probe that fails fast, then the queue and its events, listening before any job is added. */
  #connect(): Promise<{ queue: Queue; events: QueueEvents; client: Redis }> {
    this.#connected ??= this.#start();
    // A failed connection is tried again by the next run.
    this.#connected.catch(() => (this.#connected = undefined));
    return this.#connected;
  }

  async #start(): Promise<{ queue: Queue; events: QueueEvents; client: Redis }> {
    const { connection } = this.#o;
    const client = redisClient(connection);
    // Events from the server's now on, whenever the events connection starts reading.
    const [seconds, micros] = await client.time();
    const lastEventId = `${Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)}-0`;
    // BullMQ leaves connections it was given open: they are closed with the client (see close()).
    const own = [redisClient(connection), redisClient(connection)] as const;
    const queue = new Queue(this.#queueName, { connection: own[0], prefix: PREFIX });
    const events = new QueueEvents(this.#queueName, { connection: own[1], prefix: PREFIX, lastEventId });
    this.#clients.push(client, ...own);
    // Connection errors are retried by ioredis; a run learns what it needs from its jobs.
    queue.on("error", () => undefined);
    events.on("error", () => undefined);
    client.on("error", () => undefined);
    // BullMQ does not listen on every connection it is given (QueueEvents' went unheard in an outage).
    for (const c of own) c.on("error", () => undefined);
    const flights = this.#flights;
    events.on("active", ({ jobId }) => {
      const flight = flights.get(jobId);
      if (flight !== undefined) flight.startedAt = Date.now();
    });
    events.on("completed", ({ jobId, returnvalue }) => flights.get(jobId)?.completed(returnvalue as unknown as JobResult));
    events.on("failed", ({ jobId, failedReason }) => flights.get(jobId)?.failed(failedReason));
    // A job added again by a resumed run (the same id) was there already.
    events.on("duplicated", ({ jobId }) => flights.get(jobId)?.attached());
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    // Connected now: a later "ready" is the server back after an outage, perhaps restarted empty.
    client.on("ready", () => void this.#recheck(queue, client));
    this.#outage.watch(client);
    return { queue, events, client };
  }

  /** Ends the flights whose job the server no longer has (nor its output, if it completed just before). */
  async #recheck(queue: Queue, client: Redis): Promise<void> {
    const url = this.#url;
    for (const flight of [...this.#flights.values()]) {
      if (!flight.inRedis) continue;
      const there = await client.exists(queue.toKey(flight.jobId), outputKey(this.#queueName, flight.jobId)).catch(() => 1);
      if (there === 0) flight.vanished(url);
    }
  }

  async close(): Promise<void> {
    const connected = this.#connected;
    this.#connected = undefined;
    if (connected === undefined) return;
    const parts = await connected.catch(() => undefined);
    if (parts === undefined) return;
    await Promise.all([...this.#runs].map((run) => run.close()));
    // Its own disconnects to come are no outage.
    this.#outage.stop();
    // Our connections first: nothing of ours reads from the server from now on. BullMQ's closes then
    // stop its objects' loops; the close of a QueueEvents that lived through an outage (a restarted
    // server) was seen never to resolve (once in a few), holding nothing open: it is not waited for.
    for (const client of this.#clients.splice(0)) client.disconnect();
    void parts.events.close().catch(() => undefined);
    await parts.queue.close().catch(() => undefined);
  }
}
