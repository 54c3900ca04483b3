// What a run hands the pool for one attempt of one step: its rendered intent and the values it read,
// an approval decided before this attempt, and the step's own settings. Built on the main thread just
// before the step is dispatched, from the context as it is then.
import { ApprovalRejectedError, type WavepoolError } from "../errors.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { ApprovalDecision } from "../agent.js";
import type { StepTask } from "../pool/protocol.js";
import { mark, STACKABLE } from "../pool/task-marks.js";
import { renderIntent, type ContextSource, type Locals } from "./intent.js";

export interface TaskSource {
  graph: DependencyGraph;
  /** The run's context: what templates read. */
  context: ContextSource;
  /** The run's id with the pool's host channel (routes the agent's calls back). */
  callId: number;
  /** The timeout of a step without its own, 0 for none. */
  stepTimeoutMs: number;
  /** The decision given for a step before this run (resume after approval); undefined for most steps. */
  approval(stepId: string): ApprovalDecision | undefined;
  /** Whether the step may wait on a busy thread (it takes next to nothing). */
  tiny(i: number): boolean;
}

/**
 * The task of attempt `attempt` of step `i` (with `locals` for a dynamic step's template), or why
 * the step fails before it reaches a thread.
 */
export function stepTask(source: TaskSource, i: number, attempt: number, locals?: Locals): StepTask | WavepoolError {
  const step = source.graph.steps[i]!;
  let rendered;
  try {
    rendered = renderIntent(source.graph, i, source.context, locals);
  } catch (error) {
    return error as WavepoolError;
  }
  const approval = source.approval(step.stepId);
  if (approval?.approved === false) {
    return new ApprovalRejectedError(
      `step ${step.stepId} (agent ${step.assignedAgent}) was rejected by its approver${approval.note ? `: ${approval.note}` : ""}; its dependents are skipped`,
      { stepId: step.stepId, agent: step.assignedAgent },
    );
  }
  const task: StepTask = {
    callId: source.callId, slot: i, attempt, intent: rendered.intent, inputs: rendered.inputs, timeoutMs: step.timeoutMs ?? source.stepTimeoutMs,
  };
  if (approval !== undefined) task.approval = approval;
  if (step.expectedOutput !== undefined) task.expectedOutput = step.expectedOutput;
  if (source.tiny(i)) mark(task, STACKABLE);
  return task;
}
