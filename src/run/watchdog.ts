// Bounds an attempt by the shared step clock (../pool/step-clock.ts), not by when it was handed to
// the pool: the import of its agent on a fresh thread by the load timeout and the step's own
// timeout (whichever is shorter), the agent's execution by the step's timeout. Time spent queued in
// the pool counts for neither. (A timer signal given to Piscina would count the queue too.)
import { Phase, phaseOf, phaseSince } from "../pool/step-clock.js";
import { preciseNow } from "../pool/precise-time.js";

/** Which bound an attempt ran past. */
export type Expiry = "timeout" | "load-timeout";

export interface Bounds {
  /** The step's timeout, 0 for none. */
  timeoutMs: number;
  /** How long importing the agent may take. */
  loadTimeoutMs: number;
}

/** Calls `onExpire` once the attempt in `slot` runs past a bound. Returns a disarm function. */
export function watch(clock: Int32Array, slot: number, epoch: number, bounds: Bounds, onExpire: (why: Expiry) => void): () => void {
  const { timeoutMs, loadTimeoutMs } = bounds;
  // The step's timeout bounds its agent's import too, when it is the shorter bound; the load
  // timeout still applies after it (an import the step gave up on may go on, not forever).
  const timesLoad = timeoutMs > 0 && timeoutMs < loadTimeoutMs;
  let timedOutLoading = false;
  let timer: NodeJS.Timeout | undefined;
  const after = (ms: number): void => {
    timer = setTimeout(check, ms);
  };
  const check = (): void => {
    timer = undefined;
    const phase = phaseOf(clock, slot);
    if (phase === Phase.recycled || phase === Phase.done) return;
    const since = phaseSince(clock, slot, epoch);
    if (phase === Phase.queued || since === undefined) return after(timesLoad ? timeoutMs : loadTimeoutMs);
    const elapsed = preciseNow() - since;
    if (phase === Phase.loading) {
      if (timesLoad && !timedOutLoading) {
        if (elapsed < timeoutMs) return after(timeoutMs - elapsed);
        timedOutLoading = true;
        onExpire("timeout");
      }
      return elapsed < loadTimeoutMs ? after(loadTimeoutMs - elapsed) : onExpire("load-timeout");
    }
    if (timeoutMs === 0) return;
    if (elapsed < timeoutMs) return after(timeoutMs - elapsed);
    onExpire("timeout");
  };
  after(timesLoad ? timeoutMs : loadTimeoutMs);
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}
