// The coordinator's side of one distributed run: each attempt the run's loop starts becomes a BullMQ
// job (a deterministic id, a priority from the step's rank on the critical path), and its end, heard
// through the queue's events, becomes the `AttemptEnd` a local attempt would have given.
// A run resumed after its coordinator died has the same run id, so the same job ids: adding a job
// that is still there is a no-op that BullMQ reports as `duplicated`, and the run then takes the
// job's end from Redis if it ended while no coordinator listened, or from the events if it has not.
// For that, finished jobs are kept until their run ends (not removed on completion).
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { BackendUnavailableError } from "../errors.js";
import { unframeParts, type EncodedParts } from "../pool/value-codec.js";
import { isEncoded, type WireValue } from "../pool/wire-value.js";
import type { CallListener } from "../pool/host-channel.js";
import type { AttemptEnd } from "../run/attempt.js";
import type { AttemptRunner, BackendRun, Flight, OnFlightEnd } from "../run/attempt-runner.js";
import { fromAbort, fromUnreadableOutput, type Failure } from "../run/step-failure.js";
import type { Placed } from "../run/step-task.js";
import { CallReader, type ForwardedCall } from "./call-stream.js";
import { answerKey, callsKey, cancelChannel, cancelKey, encodePayload, jobIdOf, jobsKey, type JobResult, type StepJobData, type StepPayload } from "./job-data.js";
import { EarlyRequests, errorAnswer, sendAnswer, type ApprovalAnswer } from "./remote-approval.js";
import { rebuildError } from "./remote-end.js";
import { LostAttempts } from "./lost-attempts.js";
import type { OutageLimit } from "./outage-limit.js";
import { failedEnd, RemoteFlight } from "./remote-flight.js";

/** BullMQ's highest priority number (the lowest priority). */
const MAX_PRIORITY = 2 ** 21;
/**
 * How long a finished job stays in Redis at most (s) if its run never removes it (its coordinator
 * died and was not resumed): BullMQ removes older ones as later jobs finish.
 */
const FINISHED_JOB_AGE_S = 86_400;

/** What a run's flights share with their backend. */
export interface RemoteParts {
  queue: Queue;
  client: Redis;
  queueName: string;
  /** Flights in progress by job id: the backend routes the queue's events to them. */
  flights: Map<string, RemoteFlight>;
  /** The backend's runs not closed yet: a run is in it from its start to its close. */
  runs: Set<RemoteRun>;
  /** How many times a unit's attempt may be lost with its worker and run again. */
  maxLost: number;
  /** A new connection of the run's own, for reading its calls stream (blocking reads). */
  connect(): Redis;
  /** Called once the run is closed. */
  closed(): void;
  /** How long the server may be unreachable before the run's flights fail. */
  outage: OutageLimit;
  /** The server, fit for a message. */
  url: string;
}

export class RemoteRun implements AttemptRunner {
  readonly #p: RemoteParts;
  readonly #run: BackendRun;
  /** sha256 of each agent module, by module URL. */
  readonly #hashes: ReadonlyMap<string, string>;
  /** The key each stored output came from: a step that reads it gets the key, not the bytes. */
  readonly #stored = new WeakMap<EncodedParts, string>();
  /** Every key of the run beside its jobs (outputs, cancels, approval answers), deleted when it ends. */
  readonly #keys = new Set<string>();
  /** Writes of keys in `#keys` still under way: the run's end waits for them before it deletes. */
  readonly #writes = new Set<Promise<unknown>>();
  #closed: Promise<void> | undefined;
  /** Whether the close stopped waiting for the server (lost past the outage limit). */
  #abandoned = false;
  /** Approval requests of jobs not started yet (a resumed run), asked once they start. */
  readonly #early = new EarlyRequests();
  readonly #lostAttempts: LostAttempts;
  /** Whether the run's set of job ids has had its expiry set by this coordinator. */
  #listed = false;

  /** The calls of the run's agents, coming back from the workers. */
  readonly #calls: CallReader;

  constructor(parts: RemoteParts, run: BackendRun, hashes: ReadonlyMap<string, string>) {
    this.#p = parts;
    this.#run = run;
    this.#hashes = hashes;
    this.#lostAttempts = new LostAttempts(parts.maxLost);
    parts.runs.add(this);
    this.#calls = new CallReader(parts.connect(), callsKey(parts.queueName, run.runId), (jobId, call) => this.#called(jobId, call));
  }

  /** A call of the agent of job `jobId`: to the run's lane, as a thread's call (dropped there unless its attempt is current). */
  #called(jobId: string, call: ForwardedCall): void {
    const flight = this.#p.flights.get(jobId);
    const listener = flight === undefined ? undefined : this.#run.calls(flight.task.callId);
    if (call[0] === "approval") {
      if (flight === undefined && this.#closed === undefined && this.#early.hold(jobId, call)) return;
      return this.#ask(jobId, listener, flight?.task.slot ?? -1, call);
    }
    if (listener === undefined) return;
    const slot = flight!.task.slot;
    switch (call[0]) {
      case "log": return listener.log(slot, call[1], call[2], call[3], call[4]);
      case "progress": return listener.progress(slot, call[1], call[2], call[3]);
      case "output": return listener.output(slot, call[1], call[2]);
      case "stray": return listener.stray(slot, call[1], call[2]);
    }
  }

  /**
   * An agent's approval request: asked as a thread's is (the run's onApproval, or a pause that keeps
   * the request for the step's end), and the answer sent back to the worker where the agent waits.
   */
  #ask(jobId: string, listener: CallListener | undefined, slot: number, [, attempt, n, request]: Extract<ForwardedCall, { 0: "approval" }>): void {
    const key = answerKey(this.#p.queueName, jobId, n);
    this.#keys.add(key);
    const answer = (value: ApprovalAnswer): void => {
      // A run that ended has deleted its keys; its agent was stopped and waits for nothing.
      if (this.#closed === undefined) this.#write(sendAnswer(this.#p.client, key, value));
    };
    if (listener === undefined) return answer(errorAnswer(new Error("the run asking for approval has ended")));
    listener.requestApproval(slot, attempt, request).then(answer, (error: unknown) => answer(errorAnswer(error)));
  }

  #write(write: Promise<unknown>): void {
    const settled = write.catch(() => undefined).finally(() => this.#writes.delete(settled));
    this.#writes.add(settled);
  }

  start(placed: Placed, unit: number, onEnd: OnFlightEnd): Flight {
    const { task, where, agent } = placed;
    const jobId = jobIdOf(this.#run.runId, where.stepId, task.attempt);
    const refs: Record<string, string> = {};
    const inputs: Record<string, WireValue> = {};
    for (const [name, wire] of Object.entries(task.inputs)) {
      const key = isEncoded(wire) ? this.#stored.get(wire) : undefined;
      if (key !== undefined) refs[name] = key;
      else inputs[name] = wire;
    }
    const payload: StepPayload = {
      intent: task.intent, inputs, timeoutMs: task.timeoutMs, loadTimeoutMs: this.#run.loadTimeoutMs, cancelGraceMs: this.#run.cancelGraceMs,
    };
    if (agent.options !== undefined) payload.options = agent.options;
    if (task.expectedOutput !== undefined) payload.expectedOutput = task.expectedOutput;
    if (task.approval !== undefined) payload.approval = task.approval;
    const logLevel = this.#run.calls(task.callId)?.constants().logLevel;
    if (logLevel !== undefined) payload.logLevel = logLevel;
    const data: StepJobData = {
      runId: this.#run.runId, stepId: where.stepId, attempt: task.attempt,
      agent: { name: agent.name, module: agent.module, export: agent.export, sha256: this.#hashes.get(agent.module)! },
      payload: encodePayload(payload), refs,
    };
    const priority = Math.min(MAX_PRIORITY, this.#run.rank[placed.step]! + 1);
    const flight = new RemoteFlight(this, jobId, placed, unit, onEnd, { data, priority });
    // Listening for the job's end (the backend's events) before it is added.
    this.#p.flights.set(jobId, flight);
    // Listed before it is added: a worker removes a job its run does not list as it finishes.
    flight.enqueued = this.#list(jobId).then(() => this.#add(flight));
    const early = this.#early.take(jobId);
    if (early !== undefined) {
      // Once the run has made the attempt its step's current one (right after this returns).
      queueMicrotask(() => {
        for (const call of early) this.#called(jobId, call);
      });
    }
    return flight;
  }

  /**
   * Lists `jobId` among the run's jobs (in Redis: a resumed run removes the jobs of steps its state
   * has as done, which it never adds itself). Settles once listed; a list that fails leaves jobs to expire.
   */
  #list(jobId: string): Promise<void> {
    const { client, queueName, outage } = this.#p;
    // The server is gone past the limit: the add that follows ends the flight without waiting for it.
    if (outage.expired) return Promise.resolve();
    const key = jobsKey(queueName, this.#run.runId);
    const listed = client.sadd(key, jobId).then(() => undefined, () => undefined);
    if (this.#listed) return listed;
    this.#listed = true;
    client.pexpire(key, FINISHED_JOB_AGE_S * 1000).catch(() => undefined);
    return listed;
  }

  /** Adds the job of `flight`; settles once it is added (or failed to be, which ends the flight). */
  #add(flight: RemoteFlight): Promise<void> {
    const { data, priority } = flight.job;
    // The server is gone past the limit: an add would wait for it.
    const { outage, url } = this.#p;
    if (outage.expired) return Promise.resolve().then(() => flight.unreachable(url, outage.downForMs()));
    const keep = { age: FINISHED_JOB_AGE_S };
    return this.#p.queue.add("step", data, { jobId: flight.jobId, priority, removeOnComplete: keep, removeOnFail: keep, attempts: 1 }).then(() => {
      flight.inRedis = true;
    }, (error: unknown) => {
      flight.end(failedEnd({
        status: "failed", retryable: false,
        error: new BackendUnavailableError(`step ${flight.where.stepId} could not be enqueued: ${(error as Error)?.message ?? String(error)}`, { stepId: flight.where.stepId, agent: flight.where.agent, cause: error }),
      }));
    });
  }

  /**
   * The job of `flight` was in the queue already (BullMQ's `duplicated`: the run was resumed): a job
   * that ended has its end read from Redis; one waiting or running ends through the queue's events,
   * which the backend listened to before the job was added (an end both ways is applied once).
   */
  async attach(flight: RemoteFlight): Promise<void> {
    const { client, queue } = this.#p;
    const [finishedOn, returnvalue, failedReason, processedOn] = await client.hmget(queue.toKey(flight.jobId), "finishedOn", "returnvalue", "failedReason", "processedOn");
    if (processedOn != null) flight.startedAt ??= Number(processedOn);
    if (finishedOn == null) return;
    if (returnvalue == null) return flight.failed(failedReason ?? "the job failed without a reason");
    const result = JSON.parse(returnvalue) as JobResult;
    if (result.kind === "paused" && flight.task.approval !== undefined) {
      // The attempt that paused, kept by a coordinator that died before its run ended: this one
      // carries the approval, and runs as a job of its own.
      flight.inRedis = false;
      await queue.remove(flight.jobId);
      flight.enqueued = this.#add(flight);
      return;
    }
    flight.completed(result);
  }

  /**
   * The end a job's result stands for; a completed one's output is read from Redis, and decoded
   * when the run applies the end (`withOutput`, ../run/attempt.ts), as a local attempt's is.
   */
  async endOf(flight: RemoteFlight, result: JobResult): Promise<AttemptEnd> {
    // Every call the attempt made is reported before its end.
    await this.#calls.reached(result.lastCall);
    const { threadId, endedAt, worker } = result;
    if (result.kind === "paused") return { kind: "paused", threadId, startedAt: result.startedAt, endedAt, worker };
    if (result.kind === "failed") {
      const failure: Failure = { status: result.status, retryable: result.retryable, error: rebuildError(result.error) };
      return { kind: "failed", failure, threadId, startedAt: result.startedAt ?? undefined, endedAt, worker };
    }
    this.#keys.add(result.ref);
    const bytes = await this.#p.client.getBuffer(result.ref);
    try {
      if (bytes === null) throw new Error(`its stored output ${result.ref} is gone from Redis`);
      const wire = unframeParts(bytes);
      this.#stored.set(wire, result.ref);
      return { kind: "completed", wire, threadId, startedAt: result.startedAt, endedAt, worker };
    } catch (error) {
      return { kind: "failed", failure: fromUnreadableOutput(error, flight.where), threadId, startedAt: result.startedAt, endedAt, worker };
    }
  }

  /** The job failed without a result: its worker handed it back or died (its lock expired), or BullMQ gave up on it. */
  lostEnd(flight: RemoteFlight, reason: string, startedAt: number | undefined): AttemptEnd {
    return this.#lostAttempts.endOf(flight, reason, startedAt);
  }

  /** Stops `flight`: a job no worker took yet is removed; a running one is told through the cancel channel. */
  cancel(flight: RemoteFlight, reason: string): void {
    this.#write(this.#cancel(flight, reason));
  }

  async #cancel(flight: RemoteFlight, reason: string): Promise<void> {
    const { queue, client, queueName } = this.#p;
    // A job still being added would not be found to remove, and then wait for a worker.
    await flight.enqueued;
    if ((await queue.remove(flight.jobId)) === 1) return flight.end(failedEnd(fromAbort({ kind: "cancel", reason }, flight.where)));
    // Running (or about to): its worker hears the message, or finds the key if it has not subscribed
    // the job yet. Both outlive the job at most until the run ends.
    const key = cancelKey(queueName, flight.jobId);
    this.#keys.add(key);
    await client.set(key, reason, "PX", 600_000);
    await client.publish(cancelChannel(queueName), `${flight.jobId} ${reason}`);
  }

  forget(jobId: string): void {
    this.#p.flights.delete(jobId);
    this.#early.ended(jobId);
  }

  /**
   * Deletes what the run kept in Redis, once the writes under way have landed. Idempotent. Not waited
   * for past the backend's outage limit (what is left then expires), nor taken further when the
   * server is back: a resumed run may own the jobs by then.
   */
  close(): Promise<void> {
    this.#closed ??= this.#p.outage.bound(this.#cleanUp()).then(() => {
      this.#abandoned = true;
      this.#p.runs.delete(this);
      this.#p.closed();
    });
    return this.#closed;
  }

  async #cleanUp(): Promise<void> {
    // Requests of jobs the run never started: their agents wait for nothing more.
    for (const [jobId, call] of this.#early.drain()) this.#ask(jobId, undefined, -1, call);
    this.#calls.close();
    while (this.#writes.size > 0) await Promise.all([...this.#writes]);
    if (this.#abandoned) return;
    const keys = [callsKey(this.#p.queueName, this.#run.runId), ...this.#keys];
    this.#keys.clear();
    // The run's state is saved by now: its finished jobs are no longer needed to resume it.
    const { client, queue, queueName } = this.#p;
    const listed = jobsKey(queueName, this.#run.runId);
    const jobs = await client.smembers(listed).catch(() => [] as string[]);
    if (this.#abandoned) return;
    await Promise.allSettled([client.del(...keys, listed), ...jobs.map((jobId) => queue.remove(jobId))]);
  }
}
