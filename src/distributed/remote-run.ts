// The coordinator's side of one distributed run: each attempt the run's loop starts becomes a BullMQ
// job (a deterministic id, a priority from the step's rank on the critical path), and its end, heard
// through the queue's events, becomes the `AttemptEnd` a local attempt would have given.
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { BackendUnavailableError, WorkerCrashedError } from "../errors.js";
import { decodeParts, unframeParts, type EncodedParts } from "../pool/value-codec.js";
import { isEncoded, type WireValue } from "../pool/wire-value.js";
import type { CallListener } from "../pool/host-channel.js";
import type { AttemptEnd } from "../run/attempt.js";
import type { AttemptRunner, BackendRun, Flight, OnFlightEnd } from "../run/attempt-runner.js";
import { fromAbort, fromUnreadableOutput, type Failure } from "../run/step-failure.js";
import type { Placed } from "../run/step-task.js";
import { CallReader, type ForwardedCall } from "./call-stream.js";
import { answerKey, callsKey, cancelChannel, cancelKey, encodePayload, jobIdOf, type JobResult, type StepJobData, type StepPayload } from "./job-data.js";
import { errorAnswer, sendAnswer, type ApprovalAnswer } from "./remote-approval.js";
import { rebuildError } from "./remote-end.js";

/** BullMQ's highest priority number (the lowest priority). */
const MAX_PRIORITY = 2 ** 21;

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
  /** Lost attempts, by unit. */
  readonly #lost = new Map<number, number>();

  /** The calls of the run's agents, coming back from the workers. */
  readonly #calls: CallReader;

  constructor(parts: RemoteParts, run: BackendRun, hashes: ReadonlyMap<string, string>) {
    this.#p = parts;
    this.#run = run;
    this.#hashes = hashes;
    parts.runs.add(this);
    this.#calls = new CallReader(parts.connect(), callsKey(parts.queueName, run.runId), (jobId, call) => this.#called(jobId, call));
  }

  /** A call of the agent of job `jobId`: to the run's lane, as a thread's call (dropped there unless its attempt is current). */
  #called(jobId: string, call: ForwardedCall): void {
    const flight = this.#p.flights.get(jobId);
    const listener = flight === undefined ? undefined : this.#run.calls(flight.task.callId);
    if (call[0] === "approval") return this.#ask(jobId, listener, flight?.task.slot ?? -1, call);
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
    const flight = new RemoteFlight(this, jobId, placed, unit, onEnd);
    this.#p.flights.set(jobId, flight);
    const priority = Math.min(MAX_PRIORITY, this.#run.rank[placed.step]! + 1);
    flight.enqueued = this.#p.queue.add("step", data, { jobId, priority, removeOnComplete: true, removeOnFail: true, attempts: 1 }).then(() => {
      flight.inRedis = true;
    }, (error: unknown) => {
      flight.end(failedEnd({
        status: "failed", retryable: false,
        error: new BackendUnavailableError(`step ${where.stepId} could not be enqueued: ${(error as Error)?.message ?? String(error)}`, { stepId: where.stepId, agent: where.agent, cause: error }),
      }));
    });
    return flight;
  }

  /** The end a job's result stands for; a completed one's output is read from Redis. */
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
      const output = decodeParts(wire.stream, wire.shared);
      this.#stored.set(wire, result.ref);
      return { kind: "completed", output, wire, threadId, startedAt: result.startedAt, endedAt, worker };
    } catch (error) {
      return { kind: "failed", failure: fromUnreadableOutput(error, flight.where), threadId, startedAt: result.startedAt, endedAt, worker };
    }
  }

  /** The job failed without a result: its worker died (its lock expired) or BullMQ gave up on it. */
  lostEnd(flight: RemoteFlight, reason: string, startedAt: number | undefined): AttemptEnd {
    const { stepId, agent } = flight.where;
    const stalled = /stalled/.test(reason);
    const lost = (this.#lost.get(flight.unit) ?? 0) + 1;
    this.#lost.set(flight.unit, lost);
    const again = stalled && lost <= this.#p.maxLost;
    const error = new WorkerCrashedError(
      stalled
        ? `the worker running step ${stepId} (agent ${agent}) stopped answering (its lock expired: killed, or its machine lost)${again ? "; the step runs again on another worker" : `, ${lost} times: past the limit of ${this.#p.maxLost}`}`
        : `step ${stepId} (agent ${agent}) failed on its worker: ${reason}`,
      { stepId, agent },
    );
    const end = failedEnd({ status: "failed", retryable: true, error }, startedAt);
    return again ? { ...end, lost: true } : end;
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
  }

  /** Deletes what the run kept in Redis, once the writes under way have landed. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#calls.close();
      while (this.#writes.size > 0) await Promise.all([...this.#writes]);
      const keys = [callsKey(this.#p.queueName, this.#run.runId), ...this.#keys];
      this.#keys.clear();
      await this.#p.client.del(...keys).catch(() => undefined);
      this.#p.runs.delete(this);
    })();
    return this.#closed;
  }
}

function failedEnd(failure: Failure, startedAt?: number): Extract<AttemptEnd, { kind: "failed" }> {
  return { kind: "failed", failure, threadId: -1, startedAt, endedAt: Date.now() };
}

/** One attempt as a job; ends once, whatever arrives after. */
export class RemoteFlight implements Flight {
  readonly task: Placed["task"];
  readonly unit: number;
  readonly jobId: string;
  readonly where: Placed["where"];
  readonly #run: RemoteRun;
  readonly #onEnd: OnFlightEnd;
  #over = false;
  #cancelled = false;
  /** Settles once the job is added (or failed to be). */
  enqueued: Promise<void> = Promise.resolve();
  /** When a worker took the job (the queue's `active` event). */
  startedAt: number | undefined;
  /** Once the job is in Redis: from then on, a job not there is one the server lost. */
  inRedis = false;

  constructor(run: RemoteRun, jobId: string, placed: Placed, unit: number, onEnd: OnFlightEnd) {
    this.#run = run;
    this.jobId = jobId;
    this.task = placed.task;
    this.where = placed.where;
    this.unit = unit;
    this.#onEnd = onEnd;
  }

  completed(result: JobResult): void {
    this.#run.endOf(this, result).then((end) => this.end(end), (error: unknown) => this.end(failedEnd({
      status: "failed", retryable: true,
      error: new BackendUnavailableError(`the output of step ${this.where.stepId} could not be read: ${(error as Error)?.message ?? String(error)}`, { stepId: this.where.stepId, cause: error }),
    })));
  }

  failed(reason: string): void {
    this.end(this.#run.lostEnd(this, reason, this.startedAt));
  }

  /**
   * The job is gone from the server (`url`), neither waiting, running nor finished: a server that
   * restarted without its data. Its end can never come; the step fails (not retryable: the outputs
   * it reads went with it), and a worker still running it is told to stop.
   */
  vanished(url: string): void {
    if (this.#over) return;
    const { stepId, agent } = this.where;
    const reason = `its job is gone from Redis at ${url}`;
    this.cancel(reason);
    this.end(failedEnd({
      status: "failed", retryable: false,
      error: new BackendUnavailableError(
        `step ${stepId} (agent ${agent}) cannot finish: ${reason} (the server restarted without its data, or the queue was emptied); run the strategy again (with resumeFrom, what finished is kept)`,
        { stepId, agent, url },
      ),
    }));
  }

  cancel(reason: string): void {
    if (this.#over || this.#cancelled) return;
    this.#cancelled = true;
    this.#run.cancel(this, reason);
  }

  end(end: AttemptEnd): void {
    if (this.#over) return;
    this.#over = true;
    this.#run.forget(this.jobId);
    this.#onEnd(this, end);
  }
}
