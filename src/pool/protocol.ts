// The messages between the main thread and a worker, declared in one place.
// Tasks go through Piscina; calls back from an agent (logs, progress, approval) go through one
// comlink channel per worker thread that the worker opens on first use.
import type { ApprovalDecision, ApprovalRequest } from "../agent.js";
import type { AgentErrorInfo } from "../error-serial.js";
import type { Primitive, WireValue } from "./wire-value.js";

export type { Primitive, WireValue };

/** How a worker finds an agent: a module URL and the export that holds it. */
export interface AgentSpec {
  name: string;
  /** A `file:` URL. */
  module: string;
  /** The export holding the agent. @default "default" */
  export: string;
  options?: unknown;
}

/**
 * One attempt of one step: only what changes from step to step. What a run's steps share reaches
 * each thread once, as `RunConstants`, which the worker asks for (`HostApi.runConstants`) on its
 * first step of the run and keeps by `callId`. Kept small on purpose: every step is one
 * structured clone of it on the main thread, the pool's bottleneck with tiny steps.
 */
export interface StepTask {
  /** The run's call id: routes the agent's calls back to the run, and names its `RunConstants`. */
  callId: number;
  /** The step's index in the run: its place in the run's clock and in `RunConstants`. */
  slot: number;
  attempt: number;
  intent: string;
  /**
   * The context values the template read, by the names it read them by (no prototype), each in its
   * wire form: an output as the bytes its worker made (shared memory for a big one, so every reader
   * gets the same bytes for the cost of a handle), other values encoded once per run. The worker
   * decodes an input when the agent first reads it from `ctx.inputs`.
   */
  inputs: Record<string, WireValue>;
  /** The step's `expectedOutput` option, when it has one. */
  expectedOutput?: string;
  /** 0 for no timeout. */
  timeoutMs: number;
  /** A decision recorded before this attempt (resume after approval): `requestApproval` answers it at once. */
  approval?: ApprovalDecision;
}

/** What every step of a run shares, sent to a thread once per run (see `StepTask`). */
export interface RunConstants {
  callId: number;
  runId: string;
  /** The run's shared step clock (layout in ./step-clock.ts), one slot per step. */
  clock: Int32Array;
  /** The run's start (epoch ms): clock times count from it. */
  epoch: number;
  /** How long importing an agent may take on a thread that has not loaded it. */
  loadTimeoutMs: number;
  /**
   * The most verbose level the run's logger takes: `ctx.log` drops lines below it in the worker, so a
   * `debug` line at level `warn` costs no message. Absent: every line is sent.
   */
  logLevel?: LogLevel;
  /** The run's agents, each once. */
  agents: AgentSpec[];
  /** Index in `agents` of each step's agent, by slot. */
  agentOf: Int32Array;
  /** Each step's id, by slot. */
  stepIds: string[];
}

export interface LoadTask {
  kind: "load";
  agents: AgentSpec[];
  /** The worker stores the index + 1 of the agent it is importing: if the thread dies, it names the culprit. */
  loading?: Int32Array;
}

export type WorkerTask = StepTask | LoadTask;

export function isLoadTask(task: WorkerTask): task is LoadTask {
  return (task as Partial<LoadTask>).kind === "load";
}

interface OutcomeTimes {
  threadId: number;
  startedAt: number;
  endedAt: number;
}

export interface StepSucceeded extends OutcomeTimes {
  ok: true;
  /**
   * The output in its wire form: a small primitive as it is, anything else serialised once in the
   * worker (./value-codec.ts; a big one into shared memory, so it crosses for the cost of a handle,
   * its own SharedArrayBuffers beside it, still shared). The main thread decodes it once, where a
   * value it cannot read (nested deeper than the main thread's stack) is a typed failure of the
   * step, not a `messageerror` that Piscina would never answer; its dependents get these bytes.
   */
  output: WireValue;
}

export interface StepErrored extends OutcomeTimes {
  ok: false;
  /**
   * agent: execute threw; load: the module did not load; not-cloneable: the output cannot cross
   * threads; paused: the agent asked for approval and the run is pausing (nobody can answer now);
   * crashed: an error escaped the agent (a timer that threw, an unhandled rejection) while it ran;
   * stopped: the main thread stopped the attempt before its agent started.
   */
  reason: "agent" | "load" | "not-cloneable" | "paused" | "crashed" | "stopped";
  error: AgentErrorInfo;
  /** not-cloneable: where in the output the offending value is. */
  path?: string;
  /** crashed: how the error escaped. */
  escaped?: StrayError["kind"];
}

export type StepOutcome = StepSucceeded | StepErrored;

/**
 * What a step task resolves with: the output itself when the agent returned a primitive (the
 * step's clock phase is then DONE and its times are in the clock, ./step-clock.ts), else an outcome.
 */
export type StepResult = StepOutcome | Primitive;

export interface LoadOutcome {
  failures: { name: string; error: AgentErrorInfo }[];
}

export type LogLevel = "error" | "warn" | "info" | "debug";

/** The host's answer to an approval request when no handler can answer: the step must pause. */
export interface PauseAnswer {
  pause: true;
}

/** An error that escaped an agent after its step had ended, or outside any step (a module's timer). */
export interface StrayError {
  kind: "uncaughtException" | "unhandledRejection";
  error: AgentErrorInfo;
  /** The agent whose module or step left it. */
  agent: string;
  /** True when the thread will be replaced before it runs another step. */
  recycled: boolean;
}

/** Which step attempt a call back comes from: the run's call id, the step's slot, the attempt. */
export type CallTag = readonly [callId: number, slot: number, attempt: number];

/** What the main thread exposes to every worker over comlink. */
export interface HostApi {
  log(from: CallTag, level: LogLevel, message: string, meta?: Record<string, unknown>): void;
  progress(from: CallTag, value: number, message?: string): void;
  /** A partial output of the step (`ctx.emit`). */
  output(from: CallTag, chunk: unknown): void;
  requestApproval(from: CallTag, request: ApprovalRequest): Promise<ApprovalDecision | PauseAnswer>;
  /** An error the agent of `from` left behind; `from` is undefined when no step owns it. */
  stray(from: CallTag | undefined, report: StrayError): void;
  /** What the steps of run `callId` share; undefined once the run has ended. */
  runConstants(callId: number): RunConstants | undefined;
}

/** The key of the message a worker posts (through Piscina's `message` event) to hand over its port. */
export const HOST_PORT_KEY = "wavepool:host-port";
