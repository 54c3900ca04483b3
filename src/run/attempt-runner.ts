// Where a run's attempts execute. By default on the orchestrator's pool of threads (./attempt.ts);
// with `withBackend`, somewhere else (../distributed: BullMQ queues on Redis). The run's loop
// (./run.ts) schedules either way: a backend only executes the attempts it is handed.
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { CallListener } from "../pool/host-channel.js";
import type { AgentSpec, StepTask } from "../pool/protocol.js";
import type { AttemptEnd } from "./attempt.js";
import type { Placed } from "./step-task.js";

/** An attempt in flight, wherever it runs. */
export interface Flight {
  readonly task: StepTask;
  /** The unit the attempt is of (./units.ts). */
  readonly unit: number;
  /** Stops the attempt for its run; its end still comes, once, through its `onEnd`. */
  cancel(reason: string): void;
}

/** Told once how a flight ended; never throws. */
export type OnFlightEnd = (flight: Flight, end: AttemptEnd) => void;

/** Executes the attempts of one run. */
export interface AttemptRunner {
  /** Starts `placed` (an attempt of unit `unit`, of step `placed.step`); `onEnd` is called once, asynchronously. */
  start(placed: Placed, unit: number, onEnd: OnFlightEnd): Flight;
  /** The run is over: what it left with the backend (stored outputs) is released. Never rejects. */
  close(): Promise<void>;
}

/** What a backend is told about a run before it starts. */
export interface BackendRun {
  runId: string;
  graph: DependencyGraph;
  /** The agent of each step, by step index. */
  agents: readonly AgentSpec[];
  /**
   * Each step's rank in the run's priority order (0 first: the longest critical path), the order the
   * run's own scheduler takes ready steps in.
   */
  rank: Int32Array;
  loadTimeoutMs: number;
  cancelGraceMs: number;
  /**
   * Where the calls of an attempt's agent (logs, progress, partial outputs, stray errors) go: the
   * listener of its task's `callId`, called with its task's `slot`, as a thread's calls are.
   */
  calls(callId: number): CallListener | undefined;
}

/**
 * Runs steps somewhere other than the orchestrator's own threads. Made by `redisBackend` from
 * `wavepool/distributed`, given with `ParallelOrchestratorConfig#withBackend`.
 */
export interface Backend {
  /** The concurrency limit of a run whose config sets none. */
  readonly concurrency: number;
  /**
   * Checks that the run can start (the backend is reachable, its agents can be named to workers)
   * and returns its runner; rejects (`BackendUnavailableError`, `AgentLoadError`) before anything runs.
   */
  open(run: BackendRun): Promise<AttemptRunner>;
  /** Closes its connections; called by `ParallelOrchestrator#close`. */
  close(): Promise<void>;
}
