// The options that make a step dynamic (`forEach`, `forEachConcurrency`, `when`, `repeat`), checked
// where they are given. Only their shape is checked here; their liquid is compiled when the step is
// added to a strategy (`addStep`), as its template is.
import { StrategyValidationError } from "../errors.js";
import { describeValue } from "./describe-value.js";
import { unknownField } from "./unknown-field.js";

/** `repeat`: run the step again until `until` holds, at most `maxIterations` times in all. */
export interface RepeatOptions {
  /**
   * A liquid condition evaluated after each iteration, with the step's own output key holding that
   * iteration's output, `previous` the one before and `iteration` its number (1, 2, ...).
   * @example "draft.changes == 0"
   */
  until: string;
  /** At most this many iterations (an integer from 1); reaching it completes the step with `repeatExhausted: true`. */
  maxIterations: number;
}

/** The dynamic options of a step (see `StrategyStepOptions`). */
export interface DynamicStepOptions {
  /**
   * Runs the step once per item of a list: a liquid expression evaluated, once the values it reads
   * exist, to an array. The template reads `{{ item }}` and `{{ index }}`; the step's output is the
   * array of the items' outputs, in item order. @default none: the step runs once
   * @example { forEach: "outline.topics" }
   */
  forEach?: string;
  /**
   * At most this many of the step's items in flight at once (an integer from 1; only with `forEach`).
   * @default the run's concurrency limit
   */
  forEachConcurrency?: number;
  /**
   * Runs the step only if this liquid condition holds (liquid truthiness: only false and nil are
   * false), evaluated once the values it reads exist; otherwise the step and its dependents are
   * skipped with `skipReason: "condition"`. @default none: the step always runs
   * @example { when: "review.score < 0.8" }
   */
  when?: string;
  /**
   * Runs the step again while `until` does not hold, at most `maxIterations` times; the template
   * reads `{{ previous }}` and `{{ iteration }}`. Not with `forEach`. @default none: the step runs once
   * @example { repeat: { until: "polished.stable", maxIterations: 5 } }
   */
  repeat?: RepeatOptions;
}

const REPEAT_KEYS: ReadonlySet<string> = new Set(["until", "maxIterations"]);

/**
 * The dynamic options of `options`, checked and frozen; `where` prefixes the paths of errors
 * (`step a` -> `step a.repeat.maxIterations`). Returns `undefined` for a step with none.
 */
export function dynamicOptions(options: DynamicStepOptions, where: string, stepId: string): Readonly<DynamicStepOptions> | undefined {
  const { forEach, forEachConcurrency, when, repeat } = options;
  if (forEach === undefined && forEachConcurrency === undefined && when === undefined && repeat === undefined) return undefined;
  const fail = (field: string, message: string): never => {
    throw new StrategyValidationError(message, { path: `${where}.${field}`, stepId });
  };
  const out: DynamicStepOptions = {};
  if (forEach !== undefined) out.forEach = expressionText(forEach, "forEach", fail, "outline.topics");
  if (forEachConcurrency !== undefined) {
    if (forEach === undefined) {
      fail("forEachConcurrency", "forEachConcurrency bounds the items of a forEach step in flight; add forEach to the step or remove forEachConcurrency");
    }
    out.forEachConcurrency = positiveInteger(forEachConcurrency, "forEachConcurrency", fail);
  }
  if (when !== undefined) out.when = expressionText(when, "when", fail, "review.score < 0.8");
  if (repeat !== undefined) {
    if (typeof repeat !== "object" || repeat === null || Array.isArray(repeat)) {
      fail("repeat", `expected { until, maxIterations }, got ${describeValue(repeat)}`);
    }
    for (const key of Object.keys(repeat)) {
      if (!REPEAT_KEYS.has(key)) fail(`repeat.${key}`, unknownField(key, REPEAT_KEYS, "repeat"));
    }
    if (forEach !== undefined) {
      fail("repeat", "a step cannot both fan out (forEach) and repeat; repeat in a step of its own that reads the forEach step's output");
    }
    out.repeat = Object.freeze({
      until: expressionText(repeat.until, "repeat.until", fail, "draft.changes == 0"),
      maxIterations: positiveInteger(repeat.maxIterations, "repeat.maxIterations", fail),
    });
  }
  return Object.freeze(out);
}

function expressionText(value: unknown, field: string, fail: (field: string, message: string) => never, example: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    return fail(field, `expected a liquid expression such as ${JSON.stringify(example)}, got ${describeValue(value)}`);
  }
  return value;
}

function positiveInteger(value: unknown, field: string, fail: (field: string, message: string) => never): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    return fail(field, `expected an integer from 1 and up, got ${describeValue(value)}`);
  }
  return value;
}
