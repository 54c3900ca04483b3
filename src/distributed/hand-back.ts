// A worker that stops (SIGTERM) hands back the steps it could not finish within its grace period: it
// stops each one (its thread terminated, as a cancel does) and fails its job with a reason the
// coordinator recognises, so that the step's next attempt is enqueued at once and taken by another
// worker, instead of waiting for the job's lock to expire. Failing the job, rather than moving it
// back to wait, keeps "every try is its own job, and its own record": the step's `attempts` and
// `history` say that it started here, was handed back, and ran again elsewhere.
import type { LocalStep } from "./local-step.js";

const TAG = "wavepool:handed-back";

/** The reason a handed-back job fails with: who handed it back, after how long a grace period. */
export function handBackReason(worker: string, graceMs: number): string {
  return `${TAG} worker=${worker} graceMs=${graceMs}`;
}

/** What `reason` (a failed job's) says if its worker handed it back; undefined for any other failure. */
export function handedBack(reason: string): { worker: string; graceMs: number } | undefined {
  const found = /^wavepool:handed-back worker=(\S+) graceMs=(\d+)$/.exec(reason);
  return found === null ? undefined : { worker: found[1]!, graceMs: Number(found[2]) };
}

/**
 * The steps a worker runs, by job id. Once `handBack` was called, every step running is stopped, and
 * so is any step that starts after (a job taken just before the worker stopped taking jobs).
 */
export class RunningSteps {
  readonly #steps = new Map<string, LocalStep>();
  readonly #handedBack = new Set<string>();
  #reason: string | undefined;

  set(jobId: string, step: LocalStep): this {
    this.#steps.set(jobId, step);
    if (this.#reason !== undefined) this.#stop(jobId, step);
    return this;
  }

  get(jobId: string): LocalStep | undefined {
    return this.#steps.get(jobId);
  }

  delete(jobId: string): boolean {
    return this.#steps.delete(jobId);
  }

  /** Stops every step, now and from now on; `reason` is what their agents' `ctx.signal` is aborted with. */
  handBack(reason: string): void {
    this.#reason ??= reason;
    for (const [jobId, step] of this.#steps) this.#stop(jobId, step);
  }

  /** Whether the step of `jobId` was stopped by `handBack` (asked once: the answer is forgotten). */
  takeHandedBack(jobId: string): boolean {
    return this.#handedBack.delete(jobId);
  }

  #stop(jobId: string, step: LocalStep): void {
    this.#handedBack.add(jobId);
    step.cancel(this.#reason!);
  }
}
