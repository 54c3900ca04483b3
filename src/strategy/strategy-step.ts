// One step of a workflow: which agent runs, what it is asked (a liquid template), where its output goes.
import { StrategyValidationError } from "../errors.js";
import { MAX_TIMER_MS } from "../run/config.js";
import { dynamicOptions, type DynamicStepOptions, type RepeatOptions } from "./dynamic-options.js";

/** Per-step options; `forEach`, `forEachConcurrency`, `when` and `repeat` make the step dynamic. */
export interface StrategyStepOptions extends DynamicStepOptions {
  /** Step ids this step waits for, on top of the outputs its template reads. @default [] */
  dependsOn?: string[];
  /** Overrides the orchestrator's step timeout for this step, in ms (1 to 2^31 - 1). @default the config's */
  timeoutMs?: number;
  /** Extra tries after the first failure (see `withRetries`). @default the config's */
  retries?: number;
  /** Relative cost used for critical-path priority and `simulate`. @default measured, else 1 */
  cost?: number;
  /**
   * What the step should produce, in words (the seed's `expected_output`): passed to the agent as
   * `ctx.expectedOutput`, for an agent that prompts a model with it or checks its own result.
   */
  expectedOutput?: string;
}

const ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Shared by every step without `dependsOn`, most steps of a large generated workflow. */
const NO_DEPENDENCIES: readonly string[] = Object.freeze([]);

/**
 * The prefix of the paths this class's validation errors carry (`step a.outputKey`); the strategy
 * file loader strips it exactly to re-anchor the path on the file's fields, whatever the id holds.
 */
export function stepPathPrefix(stepId: unknown): string {
  return typeof stepId === "string" ? `step ${stepId}` : "step";
}

/**
 * A step of a `StrategyMap`. `description` is optional: pass `undefined` (or "") to leave it out.
 * @example
 * new StrategyStep("step_3", "Write Article", "WriterAgent", "Topic A: {{ topic_a_research }}", "final_article");
 * new StrategyStep("step_4", undefined, "ReviewAgent", "Review {{ final_article }}", "review");
 */
export class StrategyStep {
  readonly stepId: string;
  /** What the step is for, for people; absent when not given. */
  readonly description?: string;
  readonly assignedAgent: string;
  readonly intentTemplate: string;
  readonly outputKey: string;
  readonly dependsOn: readonly string[];
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly cost?: number;
  readonly expectedOutput?: string;
  // The dynamic fields are `declare`d: set only on the steps that have them, a static step has no
  // slot for them (a large generated workflow is mostly static steps).
  /** The liquid expression whose array the step runs over, once per item; absent for a step that runs once. */
  declare readonly forEach?: string;
  /** At most this many items of a forEach step in flight. */
  declare readonly forEachConcurrency?: number;
  /** The liquid condition the step runs under; absent for a step that always runs. */
  declare readonly when?: string;
  /** Run again until `until` holds, at most `maxIterations` times; absent for a step that runs once. */
  declare readonly repeat?: Readonly<RepeatOptions>;

  constructor(
    stepId: string,
    description: string | undefined,
    assignedAgent: string,
    intentTemplate: string,
    outputKey: string,
    options: StrategyStepOptions = {},
  ) {
    const where = stepPathPrefix(stepId);
    requireId(stepId, `${where}.stepId`);
    if (description !== undefined) requireString(description, `${where}.description`);
    requireString(assignedAgent, `${where}.assignedAgent`, true);
    requireString(intentTemplate, `${where}.intentTemplate`);
    requireId(outputKey, `${where}.outputKey`);
    this.stepId = stepId;
    if (description !== undefined) this.description = description;
    this.assignedAgent = assignedAgent;
    this.intentTemplate = intentTemplate;
    this.outputKey = outputKey;
    const { dependsOn = [], timeoutMs, retries, cost, expectedOutput } = options ?? {};
    if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== "string")) {
      throw new StrategyValidationError(`expected an array of step ids, got ${JSON.stringify(dependsOn)}`, {
        path: `${where}.dependsOn`, stepId,
      });
    }
    this.dependsOn = dependsOn.length === 0 ? NO_DEPENDENCIES : Object.freeze([...dependsOn]);
    if (timeoutMs !== undefined) this.timeoutMs = requireNumber(timeoutMs, `${where}.timeoutMs`, 1, true, MAX_TIMER_MS);
    if (retries !== undefined) this.retries = requireNumber(retries, `${where}.retries`, 0, true);
    if (cost !== undefined) this.cost = requireNumber(cost, `${where}.cost`, 0, false);
    if (expectedOutput !== undefined) {
      requireString(expectedOutput, `${where}.expectedOutput`);
      this.expectedOutput = expectedOutput;
    }
    const dynamic = dynamicOptions(options ?? {}, where, stepId);
    if (dynamic !== undefined) Object.assign(this, dynamic);
  }
}

function requireString(value: unknown, path: string, nonEmpty = false): void {
  if (typeof value !== "string" || (nonEmpty && value === "")) {
    throw new StrategyValidationError(`expected a ${nonEmpty ? "non-empty " : ""}string, got ${JSON.stringify(value) ?? typeof value}`, { path });
  }
}

function requireId(value: unknown, path: string): void {
  requireString(value, path, true);
  if (!ID.test(value as string)) {
    throw new StrategyValidationError(
      `expected an identifier (letters, digits, _ and -, not starting with a digit) that templates can name, got ${JSON.stringify(value)}`,
      { path },
    );
  }
}

function requireNumber(value: unknown, path: string, min: number, integer: boolean, max?: number): number {
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < min || (max !== undefined && value > max) ||
    (integer && !Number.isInteger(value))
  ) {
    // A timeout past the maximum is named as such: Node would fire it after 1 ms, not never.
    const range = max === undefined ? `>= ${min}` : `from ${min} to ${max} (Node's timer maximum, about 24.8 days)`;
    throw new StrategyValidationError(
      `expected ${integer ? "an integer" : "a finite number"} ${range}, got ${JSON.stringify(value) ?? typeof value}`,
      { path },
    );
  }
  return value;
}
