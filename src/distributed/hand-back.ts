// A worker that stops (SIGTERM) hands back the steps it could not finish within its grace period: it
// stops each one (its thread terminated, as a cancel does) and fails its job with a reason the
// coordinator recognises, so that the step's next attempt is enqueued at once and taken by another
// worker, instead of waiting for the job's lock to expire. Failing the job, rather than moving it
// back to wait, keeps "every try is its own job, and its own record": the step's `attempts` and
// `history` say that it started here, was handed back, and ran again elsewhere.
import type { LocalStep } from "./local-step.js";

const TAG = "wavepool:handed-back";

/** How a worker handed a step back. */
export interface HandedBack {
  /** `host:pid` of the worker. */
  worker: string;
  /** Its grace period (ms). */
  graceMs: number;
  /** Whether a second signal ended the grace period early (the step was stopped at once). */
  early: boolean;
}

/** The reason a handed-back job fails with: who handed it back, after how long a grace period. */
export function handBackReason({ worker, graceMs, early }: HandedBack): string {
  return `${TAG} worker=${worker} graceMs=${graceMs}${early ? " early" : ""}`;
}

/** What `reason` (a failed job's) says if its worker handed it back; undefined for any other failure. */
export function handedBack(reason: string): HandedBack | undefined {
  const found = /^wavepool:handed-back worker=(\S+) graceMs=(\d+)( early)?$/.exec(reason);
  return found === null ? undefined : { worker: found[1]!, graceMs: Number(found[2]), early: found[3] !== undefined };
}

/** What the coordinator says of a step whose worker handed it back. */
export function handBackMessage(back: HandedBack, stepId: string, agent: string): string {
  const when = back.early
    ? `at once (a second SIGTERM or Ctrl-C ended its grace period of ${back.graceMs} ms)`
    : `after its grace period of ${back.graceMs} ms`;
  return `the worker ${back.worker} running step ${stepId} (agent ${agent}) was stopped, and handed the step back ${when}; the step runs again on another worker`;
}

/**
 * The steps a worker runs, by job id. Once `handBack` was called, every step running is stopped, and
 * so is any step that starts after (a job taken just before the worker stopped taking jobs).
 */
export class RunningSteps {
  readonly #steps = new Map<string, LocalStep>();
  readonly #handedBack = new Set<string>();
  #reason: string | undefined;
  /** Whether steps are stopped at once (their threads terminated), not given the cancel's grace. */
  #now = false;

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

  /**
   * Stops every step, now and from now on; `reason` is what their agents' `ctx.signal` is aborted with.
   * `now`: their threads are terminated at once, instead of after the cancel's grace for the agent to
   * stop on its own (a step handed back already is stopped at once too).
   */
  handBack(reason: string, now = false): void {
    this.#reason ??= reason;
    this.#now ||= now;
    for (const [jobId, step] of this.#steps) this.#stop(jobId, step);
  }

  /** Whether `handBack` was told to stop steps at once. */
  get early(): boolean {
    return this.#now;
  }

  /** Whether the step of `jobId` was stopped by `handBack` (asked once: the answer is forgotten). */
  takeHandedBack(jobId: string): boolean {
    return this.#handedBack.delete(jobId);
  }

  #stop(jobId: string, step: LocalStep): void {
    this.#handedBack.add(jobId);
    if (this.#now) step.stopNow(this.#reason!);
    else step.cancel(this.#reason!);
  }
}
