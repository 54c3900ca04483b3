// A workflow: a goal and its steps. Validates as steps are added and compiles (once, cached)
// into the dependency graph that planning and running use.
import { DuplicateStepError, StrategyValidationError } from "../errors.js";
import { bottomLevels, criticalPath } from "../graph/critical-path.js";
import { buildGraph, type DependencyGraph } from "../graph/dependency-graph.js";
import { compileStepDynamics, localsOf, type StepDynamics } from "../graph/step-dynamics.js";
import { templateReads } from "../graph/template.js";
import { compileTermination, type CompiledTermination } from "../graph/termination.js";
import { plannedDynamicSteps, type PlannedDynamicStep } from "./dynamic-plan.js";
import { StrategyStep } from "./strategy-step.js";
import { strategyFromJSON, strategyToJSON, type StrategyJSON } from "./strategy-json.js";
import { checkTerminate, type StrategyTermination, type TerminateOptions } from "./terminate-options.js";

/**
 * What `plan()` returns: the waves and the costliest chain, computed without running anything.
 * `waves` and `criticalPath` hold plain step ids (a fan-out is one step there); the dynamic parts
 * are described beside them, and only in a plan that has some.
 */
export interface StrategyPlan {
  waves: string[][];
  criticalPath: string[];
  criticalPathCost: number;
  /** The steps that fan out (`forEach`), run on a condition (`when`) or repeat, in definition order; absent if none. */
  dynamicSteps?: PlannedDynamicStep[];
  /** The strategy's terminations; absent if none. */
  terminations?: StrategyTermination[];
}

/**
 * A workflow of steps; dependencies are inferred from the templates.
 * @example
 * const strategy = new StrategyMap("Write an article")
 *   .addStep(new StrategyStep("a", "Research", "ResearchAgent", "Research {{ task }}", "research"))
 *   .addStep(new StrategyStep("b", "Write", "WriterAgent", "Write from {{ research }}", "article"));
 */
export class StrategyMap {
  readonly goal: string;
  #steps: StrategyStep[] = [];
  /** What each step's template reads: all that is kept of it (rendering starts again from the text). */
  #reads: (readonly string[])[] = [];
  /**
   * Each dynamic step's compiled expressions by step index, made once as it is added; static steps
   * leave a hole (a strategy of static steps keeps an empty array).
   */
  #dynamic: (StepDynamics | undefined)[] = [];
  #terminations: StrategyTermination[] = [];
  #compiledTerminations: CompiledTermination[] = [];
  #ids = new Map<string, number>();
  #outputs = new Map<string, number>();
  #graph: DependencyGraph | undefined;
  /** The graph holds the steps, reads and id index as they were: the next addStep copies them first. */
  #shared = false;

  constructor(goal: string) {
    if (typeof goal !== "string") {
      throw new StrategyValidationError(`expected the goal to be a string, got ${typeof goal}`, { path: "goal" });
    }
    this.goal = goal;
  }

  /** The steps in the order they were added. */
  get steps(): readonly StrategyStep[] {
    return this.#steps;
  }

  /** The terminations, in the order they were added (`addTerminate`, a file's `terminate`). */
  get terminations(): readonly StrategyTermination[] {
    return this.#terminations;
  }

  /** The step with this id, if any. */
  getStep(stepId: string): StrategyStep | undefined {
    const i = this.#ids.get(stepId);
    return i === undefined ? undefined : this.#steps[i];
  }

  /**
   * Adds a step; returns the map for chaining. Throws `DuplicateStepError` for a repeated step id or
   * output key and `StrategyValidationError` for a template or an expression (`forEach`, `when`,
   * `repeat.until`) liquid cannot parse, at its path (`steps[2].forEach`).
   */
  addStep(step: StrategyStep): this {
    const index = this.#steps.length;
    if (!(step instanceof StrategyStep)) {
      throw new StrategyValidationError("addStep expects a StrategyStep", { path: `steps[${index}]` });
    }
    // The error details are made only when there is an error: at 100,000 steps, a path string and
    // an object per step were a good part of the garbage collector's work.
    const used = this.#ids.get(step.stepId);
    if (used !== undefined) {
      throw new DuplicateStepError(`step id ${JSON.stringify(step.stepId)} is already used by steps[${used}]; give each step its own id`, { path: `steps[${index}].id`, ...whereOf(step) });
    }
    const owner = this.#outputs.get(step.outputKey);
    if (owner !== undefined) {
      throw new DuplicateStepError(
        `output key ${JSON.stringify(step.outputKey)} is already written by step ${this.#steps[owner]!.stepId}; give each step its own output key`,
        { path: `steps[${index}].output`, ...whereOf(step) },
      );
    }
    let reads: readonly string[];
    try {
      reads = templateReads(step.intentTemplate);
    } catch (cause) {
      throw new StrategyValidationError(
        `the intent template of step ${step.stepId} is not valid liquid: ${(cause as Error).message}`,
        { path: `steps[${index}].intent`, cause, ...whereOf(step) },
      );
    }
    const dynamic = compileStepDynamics(step, index, reads);
    // What the run provides (`item`, `previous`...) is not read from the context.
    if (dynamic !== undefined && dynamic.locals.length > 0) {
      const locals = localsOf(step);
      reads = Object.freeze(reads.filter((name) => !locals.includes(name)));
    }
    this.#unshare();
    this.#ids.set(step.stepId, index);
    this.#outputs.set(step.outputKey, index);
    this.#steps.push(step);
    this.#reads.push(reads);
    if (dynamic !== undefined) this.#dynamic[index] = dynamic;
    this.#graph = undefined;
    return this;
  }

  /**
   * Adds a termination (the seed's Terminate instruction); returns the map for chaining. As soon as
   * the values `when` reads exist and it holds, nothing new starts, running steps are terminated,
   * pending ones are skipped, and the result has `terminated: true` and `terminationReason` (the
   * rendered `reason`). Throws `StrategyValidationError` at `terminate[i].when` / `.reason`.
   * @example strategy.addTerminate({ when: "review.score < 0.2", reason: "scored {{ review.score }}" })
   */
  addTerminate(options: TerminateOptions): this {
    const index = this.#terminations.length;
    const termination = checkTerminate(options, index);
    const compiled = compileTermination(termination, index);
    this.#unshare();
    this.#terminations.push(termination);
    this.#compiledTerminations.push(compiled);
    this.#graph = undefined;
    return this;
  }

  /** The graph holds the arrays and maps as they were: copy them before they change. */
  #unshare(): void {
    if (!this.#shared) return;
    this.#steps = [...this.#steps];
    this.#reads = [...this.#reads];
    this.#dynamic = [...this.#dynamic];
    this.#terminations = [...this.#terminations];
    this.#compiledTerminations = [...this.#compiledTerminations];
    this.#ids = new Map(this.#ids);
    this.#outputs = new Map(this.#outputs);
    this.#shared = false;
  }

  /** The compiled dependency graph (cached until the next `addStep`). Throws `CycleError` on a cycle. */
  graph(): DependencyGraph {
    if (this.#graph === undefined) {
      this.#graph = buildGraph(this.#steps, this.#reads, this.#ids, this.#outputs, this.#dynamic, this.#compiledTerminations);
      this.#shared = true;
    }
    return this.#graph;
  }

  /**
   * Waves and critical path without starting a thread. Costs: `costs[stepId]`, else the step's
   * `cost` option, else 1.
   */
  plan(costs: Readonly<Record<string, number>> = {}): StrategyPlan {
    const graph = this.graph();
    // Own keys only: a step named `toString` must not cost Object.prototype.toString. With no
    // costs given (the usual call), no lookup at all: 100,000 missing keys were a good part of plan().
    const given = Object.keys(costs).length > 0;
    const bl = bottomLevels(graph, (i) => {
      const step = graph.steps[i]!;
      return (given && Object.hasOwn(costs, step.stepId) ? costs[step.stepId] : undefined) ?? step.cost ?? 1;
    });
    const { path, cost } = criticalPath(graph, bl);
    const plan: StrategyPlan = { waves: graph.waves.map((w) => [...w]), criticalPath: path, criticalPathCost: cost };
    const dynamicSteps = graph.dynamic.some((d) => d !== undefined) ? plannedDynamicSteps(graph.steps) : [];
    if (dynamicSteps.length > 0) plan.dynamicSteps = dynamicSteps;
    if (this.#terminations.length > 0) plan.terminations = this.#terminations.map((t) => ({ ...t }));
    return plan;
  }

  /** The plain object of a strategy file's shape (without `agents`). */
  toJSON(): StrategyJSON {
    return strategyToJSON(this);
  }

  /**
   * Builds a strategy from a plain object of the strategy file's shape, checking every field.
   * Throws `StrategyValidationError` with the path of the bad field (`steps[3].intent`).
   */
  static fromJSON(json: unknown): StrategyMap {
    return strategyFromJSON(json, (goal) => new StrategyMap(goal));
  }
}

/** The step and agent an error of `addStep` names. */
function whereOf(step: StrategyStep): { stepId: string; agent: string } {
  return { stepId: step.stepId, agent: step.assignedAgent };
}
