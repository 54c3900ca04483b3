// Step timeouts measured from the moment the step starts on its thread, not from when it was
// handed to the pool: the worker stamps its start time into a shared Int32Array cell, and the
// watchdog re-arms until the stamp is there and then until the real deadline passes.
// (A timer signal given to Piscina would also count the time the task waits in its queue.)

/** Reads the start stamp of `slot`: epoch ms, or undefined while the step has not started. */
export function startedAt(clock: Int32Array, slot: number, epoch: number): number | undefined {
  const v = Atomics.load(clock, slot * 2);
  return v === 0 ? undefined : epoch + v - 1;
}

/** Reads the thread the step of `slot` started on, or -1. */
export function threadOf(clock: Int32Array, slot: number): number {
  return Atomics.load(clock, slot * 2 + 1) - 1;
}

/** Clears a slot before a (re)dispatch. */
export function resetSlot(clock: Int32Array, slot: number): void {
  Atomics.store(clock, slot * 2, 0);
  Atomics.store(clock, slot * 2 + 1, 0);
}

/** Calls `onTimeout` once the step of `slot` has run for `timeoutMs` on its thread. Returns a disarm function. */
export function watch(clock: Int32Array, slot: number, epoch: number, timeoutMs: number, onTimeout: () => void): () => void {
  let timer: NodeJS.Timeout;
  const check = (): void => {
    const start = startedAt(clock, slot, epoch);
    if (start === undefined) {
      timer = setTimeout(check, timeoutMs);
      return;
    }
    const left = start + timeoutMs - Date.now();
    if (left > 0) timer = setTimeout(check, left);
    else onTimeout();
  };
  timer = setTimeout(check, timeoutMs);
  return () => clearTimeout(timer);
}
