// The one clock a run stamps its times with, on the main thread and in every worker: epoch
// milliseconds with a fractional part, so a step of 0.3 ms has a width in a trace or a timeline
// (Date.now() has whole milliseconds only, and a fast step would start and end in the same one).

/**
 * Now, in epoch milliseconds with sub-millisecond precision.
 *
 * Each thread has its own `performance.timeOrigin` (the wall-clock time it started) and counts
 * from there on the monotonic clock that all threads of a process share, so a worker's stamps and
 * the main thread's agree to within microseconds, unless the system clock was set in between.
 * @example const startedAt = preciseNow(); await work(); const durationMs = preciseNow() - startedAt;
 */
export function preciseNow(): number {
  return origin + performance.now();
}

// Read once: the getter costs more than the clock, and a step stamps several times.
const origin = performance.timeOrigin;
