// A dynamic step's expressions, compiled once when the step is added to a strategy, and the
// reserved names its template reads (which the run provides rather than the context).
import { StrategyValidationError } from "../errors.js";
import type { StrategyStep } from "../strategy/strategy-step.js";
import { compileExpression, type CompiledExpression } from "./expression.js";
import { FOR_EACH_LOCALS, REPEAT_LOCALS } from "./locals.js";

/** What the run evaluates for a dynamic step; `undefined` in the graph for a static step. */
export interface StepDynamics {
  /** `forEach`, compiled: `evaluate` gives the array of items. */
  readonly forEach?: CompiledExpression;
  /** `when`, compiled: `test` false skips the step. */
  readonly when?: CompiledExpression;
  /**
   * `repeat.until`, compiled: `test` it after each iteration with the step's own output (the names
   * whose `graph.contextKey` is the step's output key), `previous` and `iteration` as locals.
   */
  readonly until?: CompiledExpression;
  /** The reserved names the template reads (`item`, `index`, `previous`, `iteration`): the run provides them. */
  readonly locals: readonly string[];
}

const NO_LOCALS: readonly string[] = Object.freeze([]);

/** The names a step's template may read that the run provides. */
export function localsOf(step: StrategyStep): readonly string[] {
  if (step.forEach !== undefined) return FOR_EACH_LOCALS;
  if (step.repeat !== undefined) return REPEAT_LOCALS;
  return NO_LOCALS;
}

/**
 * Compiles the dynamic fields of `step`, the `index`-th of its strategy, whose template reads
 * `templateReads`; `undefined` for a static step. Throws `StrategyValidationError` at the field's
 * path (`steps[2].forEach`) for an expression liquid cannot parse.
 */
export function compileStepDynamics(step: StrategyStep, index: number, templateReads: readonly string[]): StepDynamics | undefined {
  if (step.forEach === undefined && step.when === undefined && step.repeat === undefined) return undefined;
  const provided = localsOf(step);
  const locals = templateReads.filter((name) => provided.includes(name));
  const dynamics: { -readonly [K in keyof StepDynamics]: StepDynamics[K] } = { locals: locals.length === 0 ? NO_LOCALS : Object.freeze(locals) };
  if (step.forEach !== undefined) dynamics.forEach = compileField(step, index, "forEach", step.forEach);
  if (step.when !== undefined) dynamics.when = compileField(step, index, "when", step.when);
  if (step.repeat !== undefined) dynamics.until = compileField(step, index, "repeat.until", step.repeat.until);
  return Object.freeze(dynamics);
}

function compileField(step: StrategyStep, index: number, field: string, text: string): CompiledExpression {
  try {
    return compileExpression(text);
  } catch (cause) {
    throw new StrategyValidationError(
      `the ${field} expression of step ${step.stepId} is not a valid liquid expression: ${(cause as Error)?.message ?? String(cause)}`,
      { path: `steps[${index}].${field}`, cause, stepId: step.stepId, agent: step.assignedAgent },
    );
  }
}
