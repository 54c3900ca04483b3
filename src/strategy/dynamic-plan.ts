// What `plan()` says of the dynamic parts of a strategy, for views that show them: which steps fan
// out, run on a condition or repeat, and the terminations. A static strategy has none of it.
import type { StrategyStep } from "./strategy-step.js";
import type { RepeatOptions } from "./dynamic-options.js";

/** A step of the plan that fans out, runs on a condition or repeats: its fields as given. */
export interface PlannedDynamicStep {
  stepId: string;
  /** How views show the step: `research[*]` for a fan-out (one step for all its items), else the id. */
  label: string;
  forEach?: string;
  forEachConcurrency?: number;
  when?: string;
  repeat?: RepeatOptions;
}

/** How views show a step: `research[*]` for a forEach step, else its id. */
export function stepLabel(step: StrategyStep): string {
  return step.forEach === undefined ? step.stepId : `${step.stepId}[*]`;
}

/** The dynamic steps of `steps`, in definition order. */
export function plannedDynamicSteps(steps: readonly StrategyStep[]): PlannedDynamicStep[] {
  const planned: PlannedDynamicStep[] = [];
  for (const step of steps) {
    if (step.forEach === undefined && step.when === undefined && step.repeat === undefined) continue;
    const entry: PlannedDynamicStep = { stepId: step.stepId, label: stepLabel(step) };
    if (step.forEach !== undefined) entry.forEach = step.forEach;
    if (step.forEachConcurrency !== undefined) entry.forEachConcurrency = step.forEachConcurrency;
    if (step.when !== undefined) entry.when = step.when;
    if (step.repeat !== undefined) entry.repeat = { ...step.repeat };
    planned.push(entry);
  }
  return planned;
}
