// One attempt of a distributed run as a BullMQ job, on the coordinator's side: what it was added
// with, when a worker took it, and its end, applied once whichever way it arrives (the queue's
// events, a cancel, or read from Redis by a resumed run).
import type { AttemptEnd } from "../run/attempt.js";
import type { Flight, OnFlightEnd } from "../run/attempt-runner.js";
import type { Failure } from "../run/step-failure.js";
import type { Placed } from "../run/step-task.js";
import { BackendUnavailableError } from "../errors.js";
import type { JobResult, StepJobData } from "./job-data.js";
import type { RemoteRun } from "./remote-run.js";

/** An attempt that failed here, not on a worker (it ran on no thread). */
export function failedEnd(failure: Failure, startedAt?: number): Extract<AttemptEnd, { kind: "failed" }> {
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
  /** What the job is added with. */
  readonly job: { data: StepJobData; priority: number };
  #over = false;
  /** Why the run stopped the attempt, once it did. */
  #cancelled: string | undefined;
  /** Whether the job's end arrived (from the events, or read from Redis: whichever came first counts). */
  #heard = false;
  /** Settles once the job is added (or failed to be). */
  enqueued: Promise<void> = Promise.resolve();
  /** When a worker took the job (the queue's `active` event). */
  startedAt: number | undefined;
  /** Once the job is in Redis: from then on, a job not there is one the server lost. */
  inRedis = false;

  constructor(run: RemoteRun, jobId: string, placed: Placed, unit: number, onEnd: OnFlightEnd, job: { data: StepJobData; priority: number }) {
    this.#run = run;
    this.jobId = jobId;
    this.job = job;
    this.task = placed.task;
    this.where = placed.where;
    this.unit = unit;
    this.#onEnd = onEnd;
  }

  /** BullMQ said the job was there already. */
  attached(): void {
    this.#run.attach(this).catch((error: unknown) => this.#failedOnRedis("its job could not be looked up", error));
  }

  completed(result: JobResult): void {
    if (this.#heard) return;
    this.#heard = true;
    this.#run.endOf(this, result).then((end) => this.end(end), (error: unknown) => this.#failedOnRedis("its output could not be read", error));
  }

  failed(reason: string): void {
    if (this.#heard) return;
    this.#heard = true;
    this.end(this.#run.lostEnd(this, reason, this.startedAt));
  }

  /** Why the run stopped the attempt, if it did. */
  get cancelledFor(): string | undefined {
    return this.#cancelled;
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

  /**
   * The server (`url`) has been unreachable for longer than the backend's `outageTimeoutMs`: the step
   * fails (not retried: a try would wait for the same server) rather than wait for it any longer.
   */
  unreachable(url: string, downForMs: number): void {
    if (this.#over) return;
    const { stepId, agent } = this.where;
    this.end(failedEnd({
      status: "failed", retryable: false,
      error: new BackendUnavailableError(
        `step ${stepId} (agent ${agent}) cannot finish: Redis at ${url} has been unreachable for ${Math.round(downForMs)} ms, past the backend's outageTimeoutMs; what finished is kept: once the server is back, resume the run (resumeFrom its state) to run the rest`,
        { stepId, agent, url },
      ),
    }));
  }

  /** Redis failed a request about the job (`what`): the attempt fails, and may be tried again. */
  #failedOnRedis(what: string, error: unknown): void {
    const { stepId } = this.where;
    this.end(failedEnd({
      status: "failed", retryable: true,
      error: new BackendUnavailableError(`step ${stepId}: ${what}: ${(error as Error)?.message ?? String(error)}`, { stepId, cause: error }),
    }));
  }

  cancel(reason: string): void {
    if (this.#over || this.#cancelled !== undefined) return;
    this.#cancelled = reason;
    this.#run.cancel(this, reason);
  }

  end(end: AttemptEnd): void {
    if (this.#over) return;
    this.#over = true;
    this.#run.forget(this.jobId);
    this.#onEnd(this, end);
  }
}
