// What a run is given: the caller's `execute` options, and what its orchestrator prepared for it.
import type { Piscina } from "piscina";
import type winston from "winston";
import type { ApprovalDecision } from "../agent.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { HostHub } from "../pool/host-channel.js";
import type { AgentSpec } from "../pool/protocol.js";
import type { ApprovalHandler } from "./approvals.js";
import type { ParallelOrchestratorConfig } from "./config.js";
import type { RunEvent } from "./events.js";
import type { RunListener } from "./run-reporter.js";
import type { SavedRunState } from "./state-file.js";
import type { StateJournal } from "./state-journal.js";

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
   * were running. The file is synced when the run ends (a power cut mid-run may lose the last steps).
   * @example await orchestrator.execute(task, { saveStateTo: "run.state" });
   */
  saveStateTo?: string;
  /** Resume a saved run (a state file or a state object): completed steps are not run again. */
  resumeFrom?: string | SavedRunState;
  /** Answers to the approvals a paused state waits for, by step id. */
  approvals?: Record<string, ApprovalDecision>;
}

/** Everything a run needs from its orchestrator. */
export interface RunSetup {
  task: string;
  inputs: Record<string, unknown>;
  graph: DependencyGraph;
  /** The agent of each step, by step index. */
  agents: readonly AgentSpec[];
  pool: Piscina;
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
}
