// How many hashWork iterations make a millisecond on this machine. Measured on the main thread
// before the pools get busy; the best of several tries, since a noisy neighbour only slows it.
import { hashWork } from "./agents/hash-work.js";

let cached: number | undefined;

export function iterationsPerMs(): number {
  if (cached !== undefined) return cached;
  let n = 200_000;
  hashWork(n); // let the JIT compile it
  let rate = 0;
  for (let tries = 0; tries < 7; tries++) {
    const t0 = performance.now();
    hashWork(n);
    const ms = performance.now() - t0;
    if (ms < 20) {
      n *= 2;
      tries--;
      continue;
    }
    rate = Math.max(rate, n / ms);
  }
  return (cached = rate);
}
