// A termination (the seed's Terminate instruction): a condition that, once it holds, ends the run.
// Its shape is checked here, where it is given; its liquid is compiled by the strategy.
import { StrategyValidationError } from "../errors.js";
import { describeValue } from "./describe-value.js";
import { unknownField } from "./unknown-field.js";

/** What `StrategyMap#addTerminate` takes (strategy file: an entry of `terminate`). */
export interface TerminateOptions {
  /**
   * A liquid condition, evaluated as soon as the values it reads exist; when it holds, nothing new
   * starts, running steps are terminated and pending ones skipped with `skipReason: "terminated"`.
   * @example "review.score < 0.2"
   */
  when: string;
  /**
   * A liquid template rendered when the termination fires: the result's `terminationReason`.
   * @default none: `terminationReason` names the condition
   * @example "the review scored {{ review.score }}"
   */
  reason?: string;
}

/** A termination of a strategy, as given (frozen). */
export interface StrategyTermination {
  readonly when: string;
  readonly reason?: string;
}

const KEYS: ReadonlySet<string> = new Set(["when", "reason"]);

/**
 * `options` checked and frozen, the `index`-th termination of its strategy: errors carry the path
 * `terminate[index].when`, as in a strategy file.
 */
export function checkTerminate(options: unknown, index: number): StrategyTermination {
  const path = `terminate[${index}]`;
  const fail = (where: string, message: string): never => {
    throw new StrategyValidationError(message, { path: where });
  };
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    fail(path, `expected { when, reason? }, got ${describeValue(options)}`);
  }
  const raw = options as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if (!KEYS.has(key)) fail(`${path}.${key}`, unknownField(key, KEYS, "a termination"));
  }
  if (typeof raw.when !== "string" || raw.when.trim() === "") {
    fail(`${path}.when`, `expected a liquid condition such as "review.score < 0.2", got ${describeValue(raw.when)}`);
  }
  if (raw.reason !== undefined && typeof raw.reason !== "string") {
    fail(`${path}.reason`, `expected a liquid template such as "scored {{ review.score }}", got ${describeValue(raw.reason)}`);
  }
  const termination: { when: string; reason?: string } = { when: raw.when as string };
  if (raw.reason !== undefined) termination.reason = raw.reason as string;
  return Object.freeze(termination);
}
