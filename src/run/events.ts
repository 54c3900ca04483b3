// Events a run emits to `execute(task, { onEvent })`; every one carries the run's id.
// `time` is in fractional epoch milliseconds, the clock of the run's step records.
import type { ErrorInfo } from "../errors.js";
import type { ParallelOrchestrationResult, StepStatus } from "./result.js";

/**
 * What a step event says about a dynamic step: an item of a `forEach` step has `stepId`
 * `"<parent>[<item>]"`, `parent` and `item`; an attempt of a `repeat` step has its `iteration`; a
 * `forEach` step itself starts (attempt 0) with its number of `items` and ends once they all have.
 */
export interface DynamicStepFields {
  parent?: string;
  item?: number;
  iteration?: number;
  /** A `forEach` step's own `step:start` (attempt 0, when its list is known): how many items it has. */
  items?: number;
}

export interface RunStartEvent { type: "run:start"; runId: string; time: number; steps: number; waves: string[][] }
export interface WaveStartEvent { type: "wave:start"; runId: string; time: number; wave: number; stepIds: string[] }
export interface StepStartEvent extends DynamicStepFields {
  type: "step:start"; runId: string; time: number; stepId: string; agent: string; wave: number; attempt: number;
}
export interface StepProgressEvent extends DynamicStepFields {
  type: "step:progress"; runId: string; time: number; stepId: string; agent: string; wave: number;
  attempt: number; threadId: number; progress: number; message?: string;
}
/** A partial output an agent streamed with `ctx.emit`, before its step ended. */
export interface StepOutputEvent extends DynamicStepFields {
  type: "step:output"; runId: string; time: number; stepId: string; agent: string; wave: number;
  attempt: number; threadId: number; chunk: unknown;
}
export interface StepEndEvent extends DynamicStepFields {
  type: "step:end"; runId: string; time: number; stepId: string; agent: string; wave: number; attempt: number;
  status: StepStatus; threadId: number; durationMs: number; error?: ErrorInfo;
}
export interface RunEndEvent { type: "run:end"; runId: string; time: number; result: ParallelOrchestrationResult }

/** Any event of a run, discriminated by `type`. */
export type RunEvent =
  | RunStartEvent
  | WaveStartEvent
  | StepStartEvent
  | StepProgressEvent
  | StepOutputEvent
  | StepEndEvent
  | RunEndEvent;
