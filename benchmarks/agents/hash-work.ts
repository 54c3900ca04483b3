// A fixed amount of CPU work: a multiply-xorshift hash over `iterations` steps. The same count
// costs the same CPU on every thread, so two threads sharing one busy core take twice as long,
// which a clock-based spin (`while (Date.now() < end)`) would hide: it "finishes" on time
// whatever CPU it got, and makes any parallel speedup look perfect.
export function hashWork(iterations: number, seed = 0x9e3779b9): number {
  let h = seed | 0;
  for (let i = 0; i < iterations; i++) {
    h = Math.imul(h ^ i, 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}
