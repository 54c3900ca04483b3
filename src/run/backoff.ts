// Delay before retry `attempt` (2 = first retry): exponential with "full jitter" (AWS architecture
// blog), so that many steps failing together do not retry in lockstep.
import type { RetryPolicy } from "./config.js";

export function backoffDelay(policy: Readonly<RetryPolicy>, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, attempt - 2));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
