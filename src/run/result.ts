// The shape of what `execute` resolves with: one record per step, and the run as a whole.
import type { ErrorInfo } from "../errors.js";

/** Where a step ended up. `pending`/`running` appear only in live snapshots, never in a finished result. */
export type StepStatus =
  | "pending"
  | "running"
  | "completed"
  | "failed"
  | "timed_out"
  | "skipped"
  | "cancelled"
  | "paused";

/**
 * One try of a step: a step retried twice has three of these. Times are epoch milliseconds with a
 * fractional part (sub-millisecond precision, from `performance.timeOrigin + performance.now()` on the
 * thread that took them), so that a 0.3 ms attempt still has a length.
 */
export interface AttemptRecord {
  attempt: number;
  /** A `repeat` step: the iteration this attempt ran (1, 2, ...). */
  iteration?: number;
  status: StepStatus;
  threadId: number;
  /** A distributed run: the worker process the attempt ran on (`host:pid`); `threadId` is a thread there. */
  worker?: string;
  startedAt: number;
  endedAt: number;
  error?: ErrorInfo;
}

/** What happened to one step in one run. Times are fractional epoch milliseconds, as in `AttemptRecord`. */
export interface StepRecord {
  stepId: string;
  agent: string;
  outputKey: string;
  status: StepStatus;
  /** The dependency level of the step (0 for steps that depend on nothing). */
  wave: number;
  /** The worker thread the last attempt ran on (`threadId` of node:worker_threads); -1 if it never ran. */
  threadId: number;
  /** A distributed run: the worker process the last attempt ran on (`host:pid`). */
  worker?: string;
  /** When the last attempt started on its thread; undefined if the step never ran. */
  startedAt?: number;
  /** When the last attempt ended; undefined if the step never ran. */
  endedAt?: number;
  /** endedAt - startedAt of the last attempt (fractional, not rounded), 0 if it never ran. */
  durationMs: number;
  /** How many times the step was started in this run (0 if never). */
  attempts: number;
  error?: ErrorInfo;
  /** Every attempt that started on a thread, in order (empty if the step never ran). */
  history: AttemptRecord[];
  /** What the step's agent left behind after the step ended (a timer that threw...), if anything. */
  warnings?: string[];
  /**
   * Why a `skipped` step did not run: its `when` was false (`condition`), a termination ended the run
   * (`terminated`), or a step it depends on failed, timed out or was skipped for that (`dependency`).
   */
  skipReason?: SkipReason;
  /** An item of a `forEach` step (`stepId` is `"<parent>[<item>]"`): the step's id. */
  parent?: string;
  /** An item of a `forEach` step: its index in the list. */
  item?: number;
  /** A `forEach` step: how many items its list had (its items' records follow its own in `steps`). */
  items?: number;
  /** A `repeat` step: how many iterations ran. */
  iterations?: number;
  /** A `repeat` step that reached `maxIterations` without its `until` holding. */
  repeatExhausted?: boolean;
}

/** Why a step was skipped (see `StepRecord.skipReason`). */
export type SkipReason = "condition" | "terminated" | "dependency";

/** A redesign: `onStepFailed` answered a step's failure with a new strategy, and the run went on with it. */
export interface Redesign {
  /** The step whose failure led to it. */
  stepId: string;
  error: ErrorInfo;
  /** When the new strategy took over (fractional epoch ms). */
  at: number;
  /** The new strategy's goal. */
  goal: string;
  /** Completed steps the new strategy kept, outputs and all (same id, agent and intent). */
  kept: string[];
  /** Steps of the new strategy that were to run. */
  planned: string[];
}

/** One approval a paused run waits for. */
export interface PendingApproval {
  stepId: string;
  agent: string;
  message: string;
  payload?: unknown;
}

/** What `ParallelOrchestrator#execute` resolves with. */
export interface ParallelOrchestrationResult {
  runId: string;
  /** Every step completed, or was skipped by its `when` or by a termination. */
  success: boolean;
  /** The run's signal aborted it (or fail-fast did). */
  cancelled: boolean;
  /** The run stopped to wait for approval. */
  paused: boolean;
  pauseReason?: string;
  pendingApprovals: PendingApproval[];
  /** Every completed output by output key, plus `task` and the inputs given to `execute`. */
  context: Map<string, unknown>;
  /** The planned dependency levels, step ids in definition order. */
  waves: string[][];
  /** One record per step, in definition order; a `forEach` step's item records follow its own. */
  steps: StepRecord[];
  /** How many steps ran to completion in this run (steps restored from a saved state are not counted; items are not steps). */
  stepsExecuted: number;
  /** How many steps were skipped (`status: "skipped"`), for whatever `skipReason`. */
  stepsSkipped: number;
  /** A termination (`addTerminate`) ended the run. */
  terminated: boolean;
  /** The rendered `reason` of the termination that ended the run. */
  terminationReason?: string;
  /** Each time `onStepFailed` gave the run a new strategy, in order (empty when none did). */
  redesigns: Redesign[];
  /** When the run started, in fractional epoch milliseconds (the same clock as every step's times). */
  startedAt: number;
  /** When the run ended, in fractional epoch milliseconds. */
  endedAt: number;
  /** endedAt - startedAt, not rounded. */
  durationMs: number;
  /** The first failure, when the run did not succeed because a step failed. */
  error?: ErrorInfo;
  /**
   * Set when `saveStateTo` could not be written (disk full, permissions, a directory): the file on
   * disk is stale, though every output is still in `context`. Absent when the state is current.
   */
  stateError?: StateError;
}

/** Why the state file of a run is stale: the path and the write error. */
export interface StateError {
  path: string;
  name: string;
  code?: string;
  message: string;
}
