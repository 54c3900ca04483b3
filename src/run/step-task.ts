// What a run hands the pool for one attempt of one unit (a step, or an item of a fan-out): its
// rendered intent and the values it read, an approval decided before this attempt, and the step's
// own settings, placed on the clock the unit runs on. Built on the main thread just before the
// unit is dispatched, from the context as it is then.
import { ApprovalRejectedError, type WavepoolError } from "../errors.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { ApprovalDecision } from "../agent.js";
import type { StepTask } from "../pool/protocol.js";
import { mark, STACKABLE } from "../pool/task-marks.js";
import { resetSlot } from "../pool/step-clock.js";
import type { AgentSpec } from "../pool/protocol.js";
import type { AttemptContext, Where } from "./attempt.js";
import type { Gate } from "./gate.js";
import { renderIntent, type ContextSource, type Locals } from "./intent.js";
import type { Repeats } from "./repeats.js";
import type { Units } from "./units.js";

export interface TaskSource {
  graph: DependencyGraph;
  /** The run's context: what templates read. */
  context: ContextSource;
  /** The timeout of a step without its own, 0 for none. */
  stepTimeoutMs: number;
  /** The decision given for a step before this run (resume after approval); undefined for most steps. */
  approval(stepId: string): ApprovalDecision | undefined;
  /** Whether the step may wait on a busy thread (it takes next to nothing). */
  tiny(i: number): boolean;
}

/** Where an attempt runs: the call id of its clock (the run's, or a fan-out's), its slot there, and its unit's id. */
export interface TaskPlace {
  callId: number;
  slot: number;
  stepId: string;
}

/**
 * The task of attempt `attempt` of a unit of step `i` (the step itself, or an item), placed at
 * `at`, with `locals` for a dynamic step's template (an item that cannot cross to a thread throws
 * there); or why it fails before it reaches a thread.
 */
export function stepTask(source: TaskSource, i: number, attempt: number, at: TaskPlace, locals?: () => Locals): StepTask | WavepoolError {
  const step = source.graph.steps[i]!;
  let rendered;
  try {
    rendered = renderIntent(source.graph, i, source.context, locals?.());
  } catch (error) {
    return error as WavepoolError;
  }
  const approval = source.approval(at.stepId);
  if (approval?.approved === false) {
    return new ApprovalRejectedError(
      `step ${at.stepId} (agent ${step.assignedAgent}) was rejected by its approver${approval.note ? `: ${approval.note}` : ""}; its dependents are skipped`,
      { stepId: at.stepId, agent: step.assignedAgent },
    );
  }
  const task: StepTask = {
    callId: at.callId, slot: at.slot, attempt, intent: rendered.intent, inputs: rendered.inputs, timeoutMs: step.timeoutMs ?? source.stepTimeoutMs,
  };
  if (approval !== undefined) task.approval = approval;
  if (step.expectedOutput !== undefined) task.expectedOutput = step.expectedOutput;
  if (source.tiny(i)) mark(task, STACKABLE);
  return task;
}

/** The run's own clock, once it has started: the call id its steps' tasks carry, what their attempts share. */
export interface RunClock {
  callId(): number;
  attempts(): AttemptContext;
}

/** An attempt ready for the pool: its task, how its failures name it, and what it shares with the attempts on its clock. */
export interface Placed {
  task: StepTask;
  /** The step the attempt is of (an item's step for an item), and its agent. */
  step: number;
  agent: AgentSpec;
  where: Where;
  attempts: AttemptContext;
}

/**
 * The tasks of a run's units: a step on the run's clock, an item on its fan-out's (./fan-out.ts),
 * with the locals a dynamic step's template reads.
 */
export class UnitTasks {
  readonly #source: TaskSource;
  readonly #units: Units;
  readonly #gate: Gate;
  readonly #repeats: Repeats;
  readonly #agents: readonly AgentSpec[];
  readonly #run: RunClock;
  /** Each unit as its failures name it, made on its first dispatch. */
  readonly #where: Where[] = [];

  constructor(source: TaskSource, parts: { units: Units; gate: Gate; repeats: Repeats; agents: readonly AgentSpec[] }, run: RunClock) {
    this.#source = source;
    this.#units = parts.units;
    this.#gate = parts.gate;
    this.#repeats = parts.repeats;
    this.#agents = parts.agents;
    this.#run = run;
  }

  /** Unit `u` as its failures name it, once it has been dispatched. */
  where(u: number): Where {
    return this.#where[u]!;
  }

  /** Attempt `attempt` of unit `u`, its clock slot reset; or why it fails before it reaches a thread. */
  make(u: number, attempt: number): Placed | WavepoolError {
    const i = this.#units.stepOf[u]!;
    const fan = this.#gate.fanOutOf(u);
    // Made on the unit's first dispatch, reused by its retries and iterations (an item's id is a new string).
    const where = (this.#where[u] ??= { stepId: this.#units.idOf(u), agent: this.#source.graph.steps[i]!.assignedAgent, module: this.#agents[i]!.module });
    const at = fan === undefined
      ? { callId: this.#run.callId(), slot: u, stepId: where.stepId }
      : { callId: fan.callId, slot: fan.slotOf(u), stepId: where.stepId };
    const locals = fan !== undefined ? () => fan.locals(u) : this.#repeats.repeats(i) ? () => this.#repeats.begin(i, attempt) : undefined;
    const task = stepTask(this.#source, i, attempt, at, locals);
    if (task instanceof Error) return task;
    const attempts = fan?.attempts ?? this.#run.attempts();
    resetSlot(attempts.clock, at.slot);
    return { task, step: i, agent: this.#agents[i]!, where, attempts };
  }
}
