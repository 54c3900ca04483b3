// The costs `simulate` runs a strategy with: per step, how many tasks it is (the items of a
// forEach step, else one) and what each costs, from the caller's `costs`, the step's `cost`, or 1.
import { StrategyValidationError } from "../errors.js";
import type { StrategyMap } from "../strategy/strategy-map.js";

/**
 * `costs["<stepId>[*]"]` for a forEach step: it runs as `items` item tasks of `cost` each.
 * @example simulate(strategy, { threads: 4, costs: { "research[*]": { items: 12, cost: 30 } } })
 */
export interface ForEachCost {
  /** How many items the forEach expression gives (an integer from 0). @default 1 */
  items?: number;
  /** What one item costs. @default `costs["<stepId>"]`, else the step's `cost` option, else 1 */
  cost?: number;
}

/** What `costs` may map a key to: a number for `"<stepId>"`, a ForEachCost for `"<stepId>[*]"`. */
export type SimulatedCost = number | ForEachCost;

/** Per step: what one of its tasks costs, and how many tasks it is. */
export interface TaskCosts {
  cost: Float64Array;
  items: Int32Array;
}

const ITEMS_KEY = /^(.*)\[\*\]$/;
const FOR_EACH_KEYS = new Set(["items", "cost"]);

/** The costs of every step, `given` checked: unknown steps and bad values throw at their key. */
export function resolveCosts(strategy: StrategyMap, given: Readonly<Record<string, SimulatedCost>> | ReadonlyMap<string, SimulatedCost> | undefined): TaskCosts {
  const map = given instanceof Map ? given : new Map(Object.entries(given ?? {}));
  const base = new Map<string, number>();
  const fanOut = new Map<string, ForEachCost>();
  for (const [key, value] of map) {
    const stepId = ITEMS_KEY.exec(key)?.[1] ?? key;
    const step = strategy.getStep(stepId);
    if (step === undefined) {
      throw new StrategyValidationError(`costs names step ${JSON.stringify(stepId)}, which is not in the strategy`, { path: `costs.${key}` });
    }
    if (stepId === key) {
      base.set(key, amount(value, `costs.${key}`));
      continue;
    }
    if (step.forEach === undefined) {
      throw new StrategyValidationError(
        `costs names ${JSON.stringify(key)}, but step ${stepId} has no forEach; give its cost as costs[${JSON.stringify(stepId)}]`,
        { path: `costs.${key}`, stepId },
      );
    }
    fanOut.set(stepId, forEachCost(value, `costs.${key}`));
  }
  const n = strategy.steps.length;
  const cost = new Float64Array(n);
  const items = new Int32Array(n);
  strategy.steps.forEach((step, i) => {
    const own = base.get(step.stepId) ?? step.cost ?? 1;
    const spec = step.forEach === undefined ? undefined : fanOut.get(step.stepId);
    cost[i] = spec?.cost ?? own;
    items[i] = spec?.items ?? 1;
  });
  return { cost, items };
}

function amount(value: unknown, option: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`Expected \`${option}\` to be a finite number from 0 and up, got \`${String(value)}\``);
  }
  return value;
}

function forEachCost(value: unknown, option: string): ForEachCost {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Expected \`${option}\` to be { items, cost } (a forEach step's item count and the cost of one item), got \`${JSON.stringify(value) ?? String(value)}\``);
  }
  const spec = value as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!FOR_EACH_KEYS.has(key)) throw new TypeError(`Expected \`${option}\` to have only items and cost, got \`${key}\``);
  }
  const out: ForEachCost = {};
  if (spec.items !== undefined) {
    if (typeof spec.items !== "number" || !Number.isInteger(spec.items) || spec.items < 0) {
      throw new RangeError(`Expected \`${option}.items\` to be an integer from 0 and up, got \`${String(spec.items)}\``);
    }
    out.items = spec.items;
  }
  if (spec.cost !== undefined) out.cost = amount(spec.cost, `${option}.cost`);
  return out;
}
