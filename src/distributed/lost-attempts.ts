// What a job that failed without a result stands for, on the coordinator's side: a step its worker
// handed back (SIGTERM), one whose worker died (its lock expired: run again at once, a bounded
// number of times per unit), or one that failed on its worker for another reason. A job lost after
// its run stopped it ends as that stop.
import { WorkerCrashedError } from "../errors.js";
import type { AttemptEnd } from "../run/attempt.js";
import { fromAbort } from "../run/step-failure.js";
import { handBackMessage, handedBack } from "./hand-back.js";
import { failedEnd, type RemoteFlight } from "./remote-flight.js";

export class LostAttempts {
  /** How many times a unit's attempt may be lost with its worker and run again. */
  readonly #maxLost: number;
  /** Lost attempts, by unit. */
  readonly #lost = new Map<number, number>();

  constructor(maxLost: number) {
    this.#maxLost = maxLost;
  }

  /** The end of `flight`, whose job failed with `reason` (BullMQ's `failedReason`). */
  endOf(flight: RemoteFlight, reason: string, startedAt: number | undefined): AttemptEnd {
    const end = this.#lostEnd(flight, reason, startedAt);
    // Lost (handed back, or its worker died) after its run stopped it: the cancel is why it ended for
    // the run, and a run that stops runs no step again. Cancelled, like every other step it stopped.
    const cancelled = flight.cancelledFor;
    if (cancelled === undefined || end.kind !== "failed" || end.lost !== true) return end;
    const stopped = failedEnd(fromAbort({ kind: "cancel", reason: cancelled }, flight.where), startedAt);
    return end.worker === undefined ? stopped : { ...stopped, worker: end.worker };
  }

  #lostEnd(flight: RemoteFlight, reason: string, startedAt: number | undefined): AttemptEnd {
    const { stepId, agent } = flight.where;
    const back = handedBack(reason);
    if (back !== undefined) {
      // Its worker stopped (SIGTERM) and handed the step back: not a crash, and not counted as one.
      const error = new WorkerCrashedError(handBackMessage(back, stepId, agent), { stepId, agent });
      return { ...failedEnd({ status: "failed", retryable: true, error }, startedAt), worker: back.worker, lost: true };
    }
    const stalled = /stalled/.test(reason);
    const lost = (this.#lost.get(flight.unit) ?? 0) + 1;
    this.#lost.set(flight.unit, lost);
    const again = stalled && lost <= this.#maxLost;
    const error = new WorkerCrashedError(
      stalled
        ? `the worker running step ${stepId} (agent ${agent}) stopped answering (its lock expired: killed, or its machine lost)${again ? "; the step runs again on another worker" : `, ${lost} times: past the limit of ${this.#maxLost}`}`
        : `step ${stepId} (agent ${agent}) failed on its worker: ${reason}`,
      { stepId, agent },
    );
    const end = failedEnd({ status: "failed", retryable: true, error }, startedAt);
    return again ? { ...end, lost: true } : end;
  }
}
