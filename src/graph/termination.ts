// Terminations in the graph: the `when` compiled, the `reason` analysed, and what they read
// mapped to the steps that produce it, so the run knows when each can be evaluated.
import { StrategyValidationError } from "../errors.js";
import type { StrategyTermination } from "../strategy/terminate-options.js";
import { compileExpression, type CompiledExpression } from "./expression.js";
import { templateReads } from "./template.js";

/** A termination compiled when it is added to a strategy. */
export interface CompiledTermination {
  /** Its `when`: `test` true ends the run. */
  readonly when: CompiledExpression;
  /** Its `reason` template (render it with `renderTemplate` and `reasonReads`), if any. */
  readonly reason?: string;
  /** Root names the reason template reads. */
  readonly reasonReads: readonly string[];
}

/** A termination in the dependency graph. */
export interface GraphTermination extends CompiledTermination {
  /** Its position in `strategy.terminations` (`terminate[index]`). */
  readonly index: number;
  /** The steps whose outputs `when` reads: evaluate it once all of them have completed (at once if none). */
  readonly deps: readonly number[];
  /** The steps whose outputs the reason reads (it is rendered with what exists when the termination fires). */
  readonly reasonDeps: readonly number[];
  /** What `when` and the reason read that no step produces (`task`, run inputs), checked at preflight. */
  readonly externalReads: readonly string[];
}

const NO_READS: readonly string[] = Object.freeze([]);

/**
 * Compiles `termination`, the `index`-th of its strategy; throws `StrategyValidationError` at
 * `terminate[index].when` or `.reason` for liquid that does not parse.
 */
export function compileTermination(termination: StrategyTermination, index: number): CompiledTermination {
  const path = `terminate[${index}]`;
  let when: CompiledExpression;
  try {
    when = compileExpression(termination.when);
  } catch (cause) {
    throw new StrategyValidationError(`the when of terminate[${index}] is not a valid liquid expression: ${(cause as Error)?.message ?? String(cause)}`, { path: `${path}.when`, cause });
  }
  if (termination.reason === undefined) return Object.freeze({ when, reasonReads: NO_READS });
  let reasonReads: readonly string[];
  try {
    reasonReads = templateReads(termination.reason);
  } catch (cause) {
    throw new StrategyValidationError(`the reason of terminate[${index}] is not valid liquid: ${(cause as Error)?.message ?? String(cause)}`, { path: `${path}.reason`, cause });
  }
  return Object.freeze({ when, reason: termination.reason, reasonReads });
}

/** Each compiled termination with the steps producing what it reads (`producerOf` a variable, else undefined). */
export function linkTerminations(
  compiled: readonly CompiledTermination[],
  producerOf: (variable: string) => number | undefined,
): readonly GraphTermination[] {
  return Object.freeze(compiled.map((termination, index) => {
    const external = new Set<string>();
    const stepsOf = (reads: readonly string[]): readonly number[] => {
      const steps = new Set<number>();
      for (const name of reads) {
        const from = producerOf(name);
        if (from === undefined) external.add(name);
        else steps.add(from);
      }
      return Object.freeze([...steps]);
    };
    const deps = stepsOf(termination.when.reads);
    const reasonDeps = stepsOf(termination.reasonReads);
    return Object.freeze({ ...termination, index, deps, reasonDeps, externalReads: Object.freeze([...external]) });
  }));
}
