// Durations as people read them in a terminal or a picture: 0.42s, 12.3s, 2m05s.

/** `ms` as seconds with two decimals under 10 s, one under a minute, then minutes and seconds. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(2)}s`;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
}

/** `ms` with its unit spelled out and sub-millisecond precision, for pictures and tooltips: 0.3 ms, 420 ms, 4.21 s. */
export function describeDuration(ms: number): string {
  if (ms < 1000) return `${ms < 10 ? Math.round(ms * 10) / 10 : Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${((ms % 60_000) / 1000).toFixed(1)} s`;
}
