// The plain-object form of a strategy (the strategy file's shape) and its field-by-field validation.
import { StrategyValidationError, WavepoolError } from "../errors.js";
import type { RepeatOptions } from "./dynamic-options.js";
import { StrategyStep, stepPathPrefix, type StrategyStepOptions } from "./strategy-step.js";
import type { StrategyMap } from "./strategy-map.js";
import type { TerminateOptions } from "./terminate-options.js";
import { unknownField } from "./unknown-field.js";

export { unknownField };

/** One step of a strategy file. */
export interface StrategyStepJSON {
  id: string;
  description?: string;
  agent: string;
  intent: string;
  output: string;
  dependsOn?: string[];
  timeoutMs?: number;
  retries?: number;
  cost?: number;
  expectedOutput?: string;
  /** A liquid expression giving the array the step runs over, once per item (`{{ item }}`, `{{ index }}`). */
  forEach?: string;
  /** At most this many items in flight (with forEach). */
  forEachConcurrency?: number;
  /** A liquid condition: the step runs only if it holds. */
  when?: string;
  /** Run again until `until` holds, at most `maxIterations` times (`{{ previous }}`, `{{ iteration }}`). */
  repeat?: RepeatOptions;
}

/** A strategy file: `agents` maps agent names to module paths (relative to the file) or `{ module, options }`. */
export interface StrategyJSON {
  goal: string;
  agents?: Record<string, string | { module: string; export?: string; options?: unknown }>;
  steps: StrategyStepJSON[];
  /** Conditions that end the run (see `StrategyMap#addTerminate`); left out when there are none. */
  terminate?: TerminateOptions[];
}

const STEP_KEYS = new Set([
  "id", "description", "agent", "intent", "output", "dependsOn", "timeoutMs", "retries", "cost", "expectedOutput",
  "forEach", "forEachConcurrency", "when", "repeat",
]);
const TOP_KEYS = new Set(["goal", "agents", "steps", "terminate"]);

export function strategyToJSON(map: StrategyMap): StrategyJSON {
  const json: StrategyJSON = {
    goal: map.goal,
    steps: map.steps.map((s) => {
      const json: StrategyStepJSON = {
        id: s.stepId, ...(s.description === undefined ? {} : { description: s.description }),
        agent: s.assignedAgent, intent: s.intentTemplate, output: s.outputKey,
      };
      if (s.dependsOn.length > 0) json.dependsOn = [...s.dependsOn];
      if (s.timeoutMs !== undefined) json.timeoutMs = s.timeoutMs;
      if (s.retries !== undefined) json.retries = s.retries;
      if (s.cost !== undefined) json.cost = s.cost;
      if (s.expectedOutput !== undefined) json.expectedOutput = s.expectedOutput;
      if (s.forEach !== undefined) json.forEach = s.forEach;
      if (s.forEachConcurrency !== undefined) json.forEachConcurrency = s.forEachConcurrency;
      if (s.when !== undefined) json.when = s.when;
      if (s.repeat !== undefined) json.repeat = { until: s.repeat.until, maxIterations: s.repeat.maxIterations };
      return json;
    }),
  };
  if (map.terminations.length > 0) json.terminate = map.terminations.map((t) => ({ ...t }));
  return json;
}

export function strategyFromJSON(json: unknown, create: (goal: string) => StrategyMap): StrategyMap {
  const top = requireObject(json, "(root)");
  for (const key of Object.keys(top)) {
    if (!TOP_KEYS.has(key)) fail(key, unknownField(key, TOP_KEYS, "a strategy"));
  }
  const goal = top.goal;
  if (typeof goal !== "string") fail("goal", `expected a string, got ${describe(goal)}`);
  if (top.agents !== undefined) requireObject(top.agents, "agents");
  if (!Array.isArray(top.steps)) fail("steps", `expected an array of steps, got ${describe(top.steps)}`);
  const map = create(goal as string);
  (top.steps as unknown[]).forEach((raw, i) => {
    const path = `steps[${i}]`;
    const s = requireObject(raw, path);
    for (const key of Object.keys(s)) {
      if (!STEP_KEYS.has(key)) fail(`${path}.${key}`, unknownField(key, STEP_KEYS, "a step"));
    }
    for (const key of ["id", "agent", "intent", "output"] as const) {
      if (typeof s[key] !== "string") fail(`${path}.${key}`, `expected a string, got ${describe(s[key])}`);
    }
    if (s.description !== undefined && typeof s.description !== "string") {
      fail(`${path}.description`, `expected a string, got ${describe(s.description)}`);
    }
    const options: StrategyStepOptions = {};
    if (s.dependsOn !== undefined) {
      if (!Array.isArray(s.dependsOn)) fail(`${path}.dependsOn`, `expected an array of step ids, got ${describe(s.dependsOn)}`);
      (s.dependsOn as unknown[]).forEach((d, k) => {
        if (typeof d !== "string") fail(`${path}.dependsOn[${k}]`, `expected a step id, got ${describe(d)}`);
      });
      options.dependsOn = s.dependsOn as string[];
    }
    for (const key of ["timeoutMs", "retries", "cost"] as const) {
      if (s[key] === undefined) continue;
      if (typeof s[key] !== "number") fail(`${path}.${key}`, `expected a number, got ${describe(s[key])}`);
      options[key] = s[key] as number;
    }
    if (s.expectedOutput !== undefined) {
      if (typeof s.expectedOutput !== "string") fail(`${path}.expectedOutput`, `expected a string, got ${describe(s.expectedOutput)}`);
      options.expectedOutput = s.expectedOutput as string;
    }
    // The dynamic fields go to StrategyStep as they are: it checks them, and the paths of its
    // errors are re-anchored below (`step a.repeat.until` -> `steps[2].repeat.until`).
    for (const key of ["forEach", "forEachConcurrency", "when", "repeat"] as const) {
      if (s[key] !== undefined) (options as Record<string, unknown>)[key] = s[key];
    }
    const fieldOf: Record<string, string> = {
      stepId: "id", assignedAgent: "agent", intentTemplate: "intent", outputKey: "output", description: "description",
    };
    try {
      const step = new StrategyStep(s.id as string, s.description as string | undefined, s.agent as string, s.intent as string, s.output as string, options);
      map.addStep(step);
    } catch (error) {
      if (!(error instanceof StrategyValidationError)) throw error;
      // Re-anchor the path on the file's field names: "step a.outputKey" -> "steps[0].output". The
      // prefix is stripped exactly, not by pattern: an id may hold a dot ("step a.b.stepId").
      const field = reanchor(error.path ?? "", `${stepPathPrefix(s.id)}.`, `steps[${i}].`);
      const name = fieldOf[field] ?? field;
      const Ctor = error.constructor as new (m: string, o: object) => WavepoolError;
      const bare = error.path ? error.message.slice(error.path.length + 2) : error.message;
      throw new Ctor(bare, { path: name ? `${path}.${name}` : path, cause: error.cause, stepId: error.stepId, agent: error.agent });
    }
  });
  if (top.terminate !== undefined) {
    if (!Array.isArray(top.terminate)) fail("terminate", `expected an array of { when, reason? }, got ${describe(top.terminate)}`);
    // addTerminate checks each entry, with the path a file has (`terminate[0].when`).
    for (const entry of top.terminate as unknown[]) map.addTerminate(entry as TerminateOptions);
  }
  return map;
}

/** The field name of `path` once `prefix` (the step's API path) or `filePrefix` (addStep's) is removed. */
function reanchor(path: string, prefix: string, filePrefix: string): string {
  if (path.startsWith(prefix)) return path.slice(prefix.length);
  if (path.startsWith(filePrefix)) return path.slice(filePrefix.length);
  return "";
}

function requireObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(path, `expected an object, got ${describe(value)}`);
  return value as Record<string, unknown>;
}

function fail(path: string, message: string): never {
  throw new StrategyValidationError(message, { path });
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `${typeof value} ${JSON.stringify(value)}`;
}
