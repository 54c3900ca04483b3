// Delay before retry `attempt` (2 = first retry): exponential with "full jitter" (AWS architecture
// blog), so that many steps failing together do not retry in lockstep.
import type { StrategyStep } from "../strategy/strategy-step.js";
import type { RetryPolicy } from "./config.js";

/** Tries a step gets in all: its own `retries` plus the first try, else the policy's `attempts`. */
export function maxAttempts(step: Pick<StrategyStep, "retries">, policy: Readonly<RetryPolicy>): number {
  return step.retries === undefined ? policy.attempts : step.retries + 1;
}

export function backoffDelay(policy: Readonly<RetryPolicy>, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, attempt - 2));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
