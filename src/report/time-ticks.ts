// The time axis of a timeline: a few round ticks over the run, labelled in ms or s.

/** Multiples of a round step (1, 2 or 5 times a power of ten), at most `maxTicks` of them over `span` ms. */
export function timeTicks(span: number, maxTicks: number): { step: number; ticks: number[] } {
  const raw = span / maxTicks;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  // Multiples of the step rather than a running sum, which drifts (0.1 + 0.2 ms).
  const ticks = Array.from({ length: Math.floor(span / step + 1e-9) + 1 }, (_, i) => i * step);
  return { step, ticks };
}

/** A tick label in seconds for runs of a second or more, else in milliseconds; decimals follow the step. */
export function formatTick(t: number, step: number, span: number): string {
  if (t === 0) return span >= 1000 ? "0 s" : "0 ms";
  if (span >= 1000) return `${(t / 1000).toFixed(Math.max(0, Math.ceil(-Math.log10(step / 1000) - 1e-9)))} s`;
  return `${t.toFixed(Math.max(0, Math.ceil(-Math.log10(step) - 1e-9)))} ms`;
}
