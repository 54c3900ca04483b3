// Bounds an attempt by the shared step clock (../pool/step-clock.ts), not by when it was handed to
// the pool: the import of its agent on a fresh thread by the load timeout and the step's own
// timeout (whichever is shorter), the agent's execution by the step's timeout. Time spent queued in
// the pool counts for neither. (A timer signal given to Piscina would count the queue too.)
import { Phase, phaseOf, phaseSince } from "../pool/step-clock.js";

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
  const loadBound = timeoutMs > 0 ? Math.min(timeoutMs, loadTimeoutMs) : loadTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const check = (): void => {
    timer = undefined;
    const phase = phaseOf(clock, slot);
    if (phase === Phase.recycled) return;
    const since = phaseSince(clock, slot, epoch);
    if (phase === Phase.queued || since === undefined) {
      timer = setTimeout(check, loadBound);
      return;
    }
    if (phase === Phase.running && timeoutMs === 0) return;
    const bound = phase === Phase.loading ? loadBound : timeoutMs;
    const left = since + bound - Date.now();
    if (left > 0) {
      timer = setTimeout(check, left);
      return;
    }
    onExpire(phase === Phase.loading && (timeoutMs === 0 || loadTimeoutMs < timeoutMs) ? "load-timeout" : "timeout");
  };
  timer = setTimeout(check, loadBound);
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}
