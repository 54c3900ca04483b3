// A worker process of a distributed run (`wavepool worker`): a BullMQ Worker whose processor hands
// each step to this process's own Piscina pool. The step's CPU work is on a thread, so this event
// loop stays free and BullMQ renews the job's lock however long the step computes; a process that
// dies loses its lock, and the coordinator runs the step again elsewhere.
import { hostname } from "node:os";
import { Worker, type Job } from "bullmq";
import { AgentLoadError, WavepoolError } from "../errors.js";
import { HostHub } from "../pool/host-channel.js";
import type { AgentSpec, WireValue } from "../pool/protocol.js";
import { encodeParts, frameParts, unframeParts, type EncodedParts } from "../pool/value-codec.js";
import { isEncoded } from "../pool/wire-value.js";
import { createPool, destroyPool, guardPool } from "../pool/worker-pool.js";
import { allowedRoots, checkAgentModule, versionedUrl } from "./agent-check.js";
import { ModuleHashes } from "./module-hashes.js";
import { describeConnection, redisClient, probe, type RedisConnection } from "./connection.js";
import { OutageNotice } from "./outage-notice.js";
import { callSender } from "./call-stream.js";
import { answerKey, callsKey, cancelChannel, cancelKey, decodePayload, jobsKey, outputKey, PREFIX, type JobResult, type StepJobData } from "./job-data.js";
import { runOnPool, type StepOnPool } from "./local-step.js";
import { awaitAnswer } from "./remote-approval.js";
import { failedResult, refusedResult } from "./remote-end.js";
import { handBackReason, RunningSteps } from "./hand-back.js";

export interface StepWorkerOptions {
  connection: RedisConnection;
  /** @default "wavepool" */
  queue?: string;
  /** Threads of the pool. @default os.availableParallelism() */
  threads?: number;
  /** Steps taken at once. @default threads */
  concurrency?: number;
  /** Directories agent modules may be imported from. @default [process.cwd()] */
  allow?: string[];
  /** How long a job's lock lasts without renewal (ms): a dead worker's step is recovered after about this. @default 30000 */
  lockDurationMs?: number;
  /** How often this worker looks for jobs whose lock expired (ms). @default 30000 */
  stalledIntervalMs?: number;
  /** How long an output, or a run's calls stream, stays in Redis (ms) if its run never deletes it. @default 86400000 (a day) */
  outputTtlMs?: number;
  /**
   * How long `close()` lets running steps finish (ms) before it hands them back: each is stopped and
   * its step runs again at once on another worker. @default 10000
   */
  graceMs?: number;
  /** Where warnings go. @default stderr */
  warn?: (message: string) => void;
}

export interface StepWorker {
  /** `host:pid`, what step records name as `worker`. */
  readonly id: string;
  /**
   * Stops taking jobs and lets the running ones finish for up to `graceMs`; those still running then
   * are handed back (stopped, and run again at once on another worker). Then closes the pool and the
   * connections.
   */
  close(): Promise<void>;
  /**
   * Ends the grace period at once (closing first if `close()` was not called): every running step is
   * handed back now, its thread terminated, so the coordinator runs it again at once on another
   * worker instead of waiting for its lock to expire. What `wavepool worker` does on a second
   * SIGTERM or Ctrl-C. Resolves as `close()` does.
   */
  handBackNow(): Promise<void>;
}

/** Starts a worker; rejects with `BackendUnavailableError` if Redis cannot be reached. */
export async function startStepWorker(options: StepWorkerOptions): Promise<StepWorker> {
  const { connection } = options;
  const queue = options.queue ?? "wavepool";
  const warn = options.warn ?? ((message: string) => process.stderr.write(`wavepool worker: ${message}\n`));
  const graceMs = options.graceMs ?? 10_000;
  if (!Number.isInteger(graceMs) || graceMs < 0 || graceMs > 2_147_483_647) {
    throw new RangeError(`Expected \`graceMs\` to be a whole number of milliseconds from 0 to 2147483647, got \`${String(graceMs)}\` (${typeof graceMs})`);
  }
  await probe(connection);
  const roots = await allowedRoots(options.allow ?? [process.cwd()]);
  const id = `${hostname()}:${process.pid}`;
  const pool = createPool(options.threads !== undefined ? { threads: options.threads } : {});
  guardPool(pool, (message) => warn(message));
  const hub = HostHub.of(pool);
  const store = redisClient(connection);
  const listener = redisClient(connection);
  const notice = new OutageNotice(describeConnection(connection), warn);
  for (const client of [store, listener]) notice.watch(client);
  const running = new RunningSteps();
  // Agent modules' hashes, read again only when their files change.
  const hashes = new ModuleHashes();
  const ttl = options.outputTtlMs ?? 86_400_000;

  // Cancels reach running steps through a channel; one published before the step started is in a key.
  await listener.subscribe(cancelChannel(queue));
  listener.on("message", (_channel: string, message: string) => {
    const space = message.indexOf(" ");
    const jobId = space < 0 ? message : message.slice(0, space);
    running.get(jobId)?.cancel(space < 0 ? "the run was cancelled" : message.slice(space + 1));
  });

  // `ended`: the step ended on a thread; the check of its run's job list (removeIfRunEnded, below) is
  // sent then, so that it travels with the output's write instead of costing a round trip after it.
  const process_ = async (job: Job<StepJobData>, ended: (listed: Promise<number>) => void): Promise<JobResult> => {
    const data = job.data;
    const jobId = job.id!;
    const where = { stepId: data.stepId, agent: data.agent.name };
    let spec: AgentSpec;
    let inputs: Record<string, WireValue>;
    let payload;
    try {
      await checkAgentModule(data.agent.module, data.agent.sha256, roots, where, hashes);
      payload = decodePayload(data.payload);
      // Imported under a URL naming the version just checked: a thread that ran an older one runs this one.
      spec = { name: data.agent.name, module: versionedUrl(data.agent.module, data.agent.sha256), export: data.agent.export };
      if (payload.options !== undefined) spec.options = payload.options;
      inputs = { ...payload.inputs, ...(await fetchInputs(data.refs)) };
    } catch (error) {
      const refused = error instanceof WavepoolError ? error : new AgentLoadError(`step ${data.stepId} could not be prepared on worker ${id}: ${(error as Error)?.message ?? String(error)}`, { ...where, cause: error });
      return refusedResult(refused, id);
    }
    const calls = callSender(store, callsKey(queue, data.runId), jobId, ttl, warn);
    // An approval request waits for its answer on a connection of its own (a blocking read), closed
    // when the step ends however it ends (a cancel or a timeout may stop the agent while it waits).
    const waiting = new Set<ReturnType<typeof redisClient>>();
    let asked = 0;
    const ask: StepOnPool["ask"] = async (attempt, request) => {
      const n = asked++;
      if (!calls.send(["approval", attempt, n, request])) {
        throw new WavepoolError(`the approval request of step ${data.stepId} cannot be sent to the coordinator: its payload could not be encoded (the worker's warning says why)`);
      }
      const client = redisClient(connection);
      notice.watch(client);
      waiting.add(client);
      try {
        return await awaitAnswer(client, answerKey(queue, jobId, n));
      } finally {
        waiting.delete(client);
        client.disconnect();
      }
    };
    const step = runOnPool({ pool, hub, runId: data.runId, stepId: data.stepId, attempt: data.attempt, spec, payload, inputs, forward: calls.send, ask });
    running.set(jobId, step);
    try {
      const why = await store.get(cancelKey(queue, jobId));
      if (why !== null) step.cancel(why);
      const end = await step.ended;
      ended(listedNow(job));
      // The job completes once its calls are in the stream: the coordinator reads them before its end.
      const lastCall = await calls.flushed();
      const sent = lastCall === undefined ? {} : { lastCall };
      if (end.kind !== "completed") return { ...failedResult(end, id), ...sent };
      const key = outputKey(queue, jobId);
      const bytes = Buffer.concat(frameParts(isEncoded(end.wire) ? end.wire : encodeParts(end.wire)));
      await store.set(key, bytes, "PX", ttl);
      return { kind: "completed", ref: key, threadId: end.threadId, startedAt: end.startedAt, endedAt: end.endedAt, worker: id, ...sent };
    } finally {
      running.delete(jobId);
      for (const client of waiting) client.disconnect();
    }
  };

  /** The stored inputs, each key read once: names of one value get one object, decoded once. */
  async function fetchInputs(refs: Record<string, string>): Promise<Record<string, EncodedParts>> {
    const keys = [...new Set(Object.values(refs))];
    if (keys.length === 0) return {};
    const values = await store.mgetBuffer(...keys);
    const parts = new Map<string, EncodedParts>();
    keys.forEach((key, k) => {
      const bytes = values[k];
      if (bytes === null || bytes === undefined) throw new WavepoolError(`the stored output ${key} is gone from Redis (expired, or its run ended)`);
      parts.set(key, unframeParts(bytes));
    });
    return Object.fromEntries(Object.entries(refs).map(([name, key]) => [name, parts.get(key)!]));
  }

  // A step stopped because this worker stops fails its job with a reason that makes the coordinator
  // enqueue its next attempt at once (./hand-back.ts); one that ended otherwise keeps its end.
  const processor = async (job: Job<StepJobData>): Promise<JobResult> => {
    let result: JobResult | undefined;
    let listed: Promise<number> | undefined;
    try {
      result = await process_(job, (check) => (listed = check));
      if (running.takeHandedBack(job.id!) && result.kind === "failed" && result.status === "cancelled") throw new Error(handBackReason({ worker: id, graceMs, early: running.early }));
      return result;
    } finally {
      await removeIfRunEnded(job, result, listed ?? listedNow(job));
    }
  };

  /** 1 if the job's run still lists it (or Redis could not say), 0 if not. */
  function listedNow(job: Job<StepJobData>): Promise<number> {
    return store.sismember(jobsKey(queue, job.data.runId), job.id!).catch(() => 1);
  }

  // A job its run no longer lists has no coordinator to read it: its run ended while it ran (a
  // resumed run that ended while this job of its dead predecessor still ran could not remove it,
  // locked). It is removed as it finishes (BullMQ's removeOnComplete/removeOnFail, read when the job
  // is moved to finished), and its output with it, instead of staying for a day.
  async function removeIfRunEnded(job: Job<StepJobData>, result: JobResult | undefined, listed: Promise<number>): Promise<void> {
    if ((await listed) !== 0) return;
    job.opts.removeOnComplete = true;
    job.opts.removeOnFail = true;
    if (result?.kind === "completed") await store.del(result.ref).catch(() => undefined);
  }

  const threads = pool.options.maxThreads;
  // BullMQ leaves a connection it was given open: closed with the others.
  const taking = redisClient(connection);
  const worker = new Worker<StepJobData, JobResult>(queue, processor, {
    connection: taking,
    prefix: PREFIX,
    name: id,
    concurrency: options.concurrency ?? threads,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    // A job whose worker died fails (on the next worker that takes it), and the coordinator enqueues
    // the step's next attempt: every try is its own job, and its own record.
    maxStalledCount: 0,
  });
  notice.watch(taking);
  worker.on("error", (error) => notice.error(error));
  await worker.waitUntilReady();

  const handBack = (now: boolean): void => running.handBack(`the worker ${id} is stopping and hands its steps back to run elsewhere`, now);
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= (async () => {
    // BullMQ's close takes no job from now on and resolves once the running ones ended; past the
    // grace period they are handed back. The lock of a step stays renewed until its job ended.
    const late = setTimeout(() => handBack(false), graceMs);
    await worker.close();
    clearTimeout(late);
    await destroyPool(pool);
    listener.disconnect();
    taking.disconnect();
    await store.quit().catch(() => undefined);
  })());

  return {
    id,
    close,
    handBackNow() {
      const closing = close();
      handBack(true);
      return closing;
    },
  };
}
