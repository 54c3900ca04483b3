// What a run is given: the caller's `execute` options, and what its orchestrator prepared for it.
import type { Piscina } from "piscina";
import type winston from "winston";
import type { ApprovalDecision } from "../agent.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { HostHub } from "../pool/host-channel.js";
import type { AgentSpec } from "../pool/protocol.js";
import type { ApprovalHandler } from "./approvals.js";
import type { AttemptRunner } from "./attempt-runner.js";
import type { ParallelOrchestratorConfig } from "./config.js";
import type { RunEvent } from "./events.js";
import type { RunListener } from "./run-reporter.js";
import type { SavedRunState } from "./state-file.js";
import type { StateJournal } from "./state-journal.js";
import type { ErrorInfo } from "../errors.js";
import type { StrategyMap } from "../strategy/strategy-map.js";
import type { ParallelOrchestrationResult } from "./result.js";

/** Options of one `execute` call. */
export interface ExecuteOptions {
  /** More top-level template variables besides `task`. */
  inputs?: Record<string, unknown>;
  /** Aborts the run: running steps are stopped, pending ones cancelled, finished outputs kept. */
  signal?: AbortSignal;
  /** Receives every run, wave and step event. Errors it throws are logged and ignored. */
  onEvent?: (event: RunEvent) => void;
  /** Answers `ctx.requestApproval` on the main thread. */
  onApproval?: ApprovalHandler;
  /**
   * Keeps the run's state in this file, a journal: the state the run starts from (written aside, then
   * renamed over the file), then a record appended for every step that ends, output included. At
   * every moment it reads as a complete state to resume from: `kill -9` loses at most the steps that
   * were running. It is not synced to the disk unless `withStateSync` asks for it.
   * @example await orchestrator.execute(task, { saveStateTo: "run.state" });
   */
  saveStateTo?: string;
  /** Resume a saved run (a state file or a state object): completed steps are not run again. */
  resumeFrom?: string | SavedRunState;
  /** Answers to the approvals a paused state waits for, by step id. */
  approvals?: Record<string, ApprovalDecision>;
  /**
   * The seed's redesign: called on the main thread when a step fails for good (after its retries).
   * Return a new `StrategyMap` (say, one a model wrote) and the run goes on with it once the steps
   * running now have ended: completed steps whose id, agent and intent are unchanged keep their
   * outputs and do not run again, the rest is planned and run. Return nothing and the failure
   * stands. Each redesign is listed in the result's `redesigns`.
   * @example onStepFailed: ({ stepId }) => stepId === "fetch" ? withFallback : undefined
   */
  onStepFailed?: (failure: StepFailure) => StrategyMap | undefined | void | Promise<StrategyMap | undefined | void>;
}

/** What `onStepFailed` is told: the step that failed for good, its error, and the run as it is now. */
export interface StepFailure {
  stepId: string;
  error: ErrorInfo;
  /** The run so far (the steps still running are `running`). */
  result: ParallelOrchestrationResult;
}

/** Everything a run needs from its orchestrator. */
export interface RunSetup {
  task: string;
  inputs: Record<string, unknown>;
  graph: DependencyGraph;
  /** The agent of each step, by step index. */
  agents: readonly AgentSpec[];
  /** The pool the run's attempts run on; undefined when `runner` executes them. */
  pool: Piscina | undefined;
  /** Executes the run's attempts instead of the pool (a backend's, ./attempt-runner.ts). */
  runner?: AttemptRunner;
  hub: HostHub;
  config: ParallelOrchestratorConfig;
  logger: winston.Logger;
  /** Concurrency limit when the config sets none: the pool's thread count. */
  defaultLimit: number;
  /**
   * On the orchestrator's own pool (not one given with `withPool`): steps may wait in the pool beyond
   * its threads (./in-pool.ts), and it grows once the first run starts.
   */
  ownPool?: {
    /** How many of its threads may take steps now. */
    usableThreads(): number;
    /** How many tiny steps may wait on a thread (../pool/pool-balancer.ts). */
    stackedPerThread: number;
  };
  /** The measured duration (ms) of a step in earlier runs, if it ever completed. */
  learnedMs(stepId: string): number | undefined;
  /** The cost of a step for priority: its `cost` option, a learned duration, or 1. */
  cost(stepId: string): number | undefined;
  /** Called with the measured duration of every step that completed, when the run ends. */
  learn(stepId: string, durationMs: number): void;
  /** A saved state to resume: its completed steps are restored, not run. */
  restored?: SavedRunState;
  /** Decisions for steps paused in `restored`. */
  approvals: Readonly<Record<string, ApprovalDecision>>;
  /** The state file: a record is appended each time steps settle. */
  journal?: StateJournal;
  /** Fingerprint of the strategy, stored in saved states. */
  fingerprint: string;
  /** Listeners besides `onEvent` (the tracer's). */
  listeners?: RunListener[];
  /** The run's id: a run that goes on after a redesign keeps the id of the one it replaces. */
  runId?: string;
  /** Why a strategy `onStepFailed` returned cannot replace this one (not a StrategyMap, an unknown agent...), or undefined if it can. */
  checkRedesign?(strategy: unknown): string | undefined;
}
