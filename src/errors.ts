// Every error wavepool raises: one base class, a fixed `name` and a stable `code` per class.
// `instanceof` works across two copies of the package (main thread and worker load it apart),
// through a `Symbol.for` brand that records the class chain of each instance.

import { readProperty, toErrorInfo, type AgentErrorInfo } from "./error-serial.js";

const kBrand = Symbol.for("wavepool.error.chain");

/** Options shared by every wavepool error. */
export interface WavepoolErrorOptions {
  cause?: unknown;
  stepId?: string;
  agent?: string;
}

/** The base of every wavepool error; `code` is stable and safe to switch on. */
export class WavepoolError extends Error {
  readonly code: string = "WAVEPOOL_ERROR";
  /** The step this error is about, when there is one. */
  readonly stepId?: string;
  /** The agent that ran (or would have run) the step, when there is one. */
  readonly agent?: string;

  constructor(message: string, options: WavepoolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.stepId !== undefined) this.stepId = options.stepId;
    if (options.agent !== undefined) this.agent = options.agent;
    const chain: string[] = [];
    for (let c: unknown = new.target; c !== Error && typeof c === "function"; c = Object.getPrototypeOf(c)) chain.push(c.name);
    Object.defineProperty(this, kBrand, { value: chain });
    Object.defineProperty(this, "name", { value: new.target.name, enumerable: false, writable: true, configurable: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const chain = (value as { [kBrand]?: unknown } | null)?.[kBrand];
    return Array.isArray(chain) && chain.includes(this.name);
  }
}

/** Options of a strategy validation error: where in the strategy the bad field is. */
export interface ValidationErrorOptions extends WavepoolErrorOptions {
  /** The path of the offending field, e.g. `steps[3].intent`. */
  path?: string;
}

/** The strategy (or a strategy file) is invalid; `path` names the bad field. */
export class StrategyValidationError extends WavepoolError {
  override readonly code: string = "WAVEPOOL_STRATEGY_INVALID";
  readonly path?: string;
  constructor(message: string, options: ValidationErrorOptions = {}) {
    super(options.path === undefined ? message : `${options.path}: ${message}`, options);
    if (options.path !== undefined) this.path = options.path;
  }
}

/** The dependency graph has a cycle; `cycle` lists the steps on it, first step repeated last. */
export class CycleError extends StrategyValidationError {
  override readonly code = "WAVEPOOL_CYCLE";
  readonly cycle: string[];
  constructor(cycle: string[], options: ValidationErrorOptions = {}) {
    super(
      `the steps form a cycle: ${cycle.join(" -> ")}. A step cannot read (directly or through others) an output that depends on itself; remove one of these dependencies.`,
      options,
    );
    this.cycle = cycle;
  }
}

/** Two steps share a step id or an output key. */
export class DuplicateStepError extends StrategyValidationError {
  override readonly code = "WAVEPOOL_DUPLICATE_STEP";
}

/** A step names an agent that was never registered with `addAgent`. */
export class UnknownAgentError extends StrategyValidationError {
  override readonly code = "WAVEPOOL_UNKNOWN_AGENT";
}

/** A template reads a variable that no step produces and no input provides. */
export class UnknownInputError extends StrategyValidationError {
  override readonly code = "WAVEPOOL_UNKNOWN_INPUT";
  readonly variable?: string;
  constructor(message: string, options: ValidationErrorOptions & { variable?: string } = {}) {
    super(message, options);
    if (options.variable !== undefined) this.variable = options.variable;
  }
}

/** An agent reference or its options cannot cross a thread boundary (functions, class instances). */
export class AgentNotShareableError extends WavepoolError {
  override readonly code = "WAVEPOOL_AGENT_NOT_SHAREABLE";
  readonly path?: string;
  constructor(message: string, options: WavepoolErrorOptions & { path?: string } = {}) {
    super(message, options);
    if (options.path !== undefined) this.path = options.path;
  }
}

/**
 * A module path given to `addAgent` that a worker thread cannot import: a relative path (relative
 * to what, in a worker?), a URL that is not `file:`, or a file that does not exist. `module` is
 * the path or URL as it was given.
 */
export class AgentPathError extends WavepoolError {
  override readonly code = "WAVEPOOL_AGENT_PATH";
  readonly module?: string;
  constructor(message: string, options: WavepoolErrorOptions & { module?: string } = {}) {
    super(message, options);
    if (options.module !== undefined) this.module = options.module;
  }
}

/** An agent module failed to import, or its export is not an agent made with `defineAgent`. */
export class AgentLoadError extends WavepoolError {
  override readonly code = "WAVEPOOL_AGENT_LOAD";
}

/** A step ran past its timeout; its thread was terminated. */
export class StepTimeoutError extends WavepoolError {
  override readonly code = "WAVEPOOL_STEP_TIMEOUT";
  readonly timeoutMs?: number;
  constructor(message: string, options: WavepoolErrorOptions & { timeoutMs?: number } = {}) {
    super(message, options);
    if (options.timeoutMs !== undefined) this.timeoutMs = options.timeoutMs;
  }
}

/** What a failing agent threw, kept across the thread boundary (made by `toErrorInfo`). */
export type { AgentErrorInfo };

/** An agent threw (or rejected); `agentError` keeps its own name, message and stack. */
export class StepFailedError extends WavepoolError {
  override readonly code = "WAVEPOOL_STEP_FAILED";
  readonly agentError?: AgentErrorInfo;
  constructor(message: string, options: WavepoolErrorOptions & { agentError?: AgentErrorInfo } = {}) {
    super(message, options);
    if (options.agentError !== undefined) this.agentError = options.agentError;
  }
}

/** A step returned a value that cannot be structured-cloned; `path` locates it (`$.handler`). */
export class OutputNotCloneableError extends WavepoolError {
  override readonly code = "WAVEPOOL_OUTPUT_NOT_CLONEABLE";
  readonly path?: string;
  constructor(message: string, options: WavepoolErrorOptions & { path?: string } = {}) {
    super(message, options);
    if (options.path !== undefined) this.path = options.path;
  }
}

/** The worker thread died under a step (process.exit, uncaught error, out of memory). */
export class WorkerCrashedError extends WavepoolError {
  override readonly code = "WAVEPOOL_WORKER_CRASHED";
}

/** The run was aborted (its signal, or fail-fast) before this step could finish. */
export class RunCancelledError extends WavepoolError {
  override readonly code = "WAVEPOOL_RUN_CANCELLED";
}

/** A saved state does not belong to this strategy (or is not a wavepool state at all). */
export class StateMismatchError extends WavepoolError {
  override readonly code = "WAVEPOOL_STATE_MISMATCH";
}

/**
 * A state file cannot be written or read at `path` (a directory, a missing folder, no permission, a
 * full disk, a value that cannot be saved); `cause` keeps the system error.
 */
export class StateFileError extends WavepoolError {
  override readonly code = "WAVEPOOL_STATE_FILE";
  readonly path: string;
  constructor(message: string, options: WavepoolErrorOptions & { path: string }) {
    super(message, options);
    this.path = options.path;
  }
}

/** A person rejected the approval a step asked for. */
export class ApprovalRejectedError extends WavepoolError {
  override readonly code = "WAVEPOOL_APPROVAL_REJECTED";
}

/** `approvals` given to `execute` name a step that is not paused in the state being resumed. */
export class InvalidApprovalError extends WavepoolError {
  override readonly code = "WAVEPOOL_INVALID_APPROVAL";
}

/** `execute` was called on an orchestrator after `close()`. */
export class OrchestratorClosedError extends WavepoolError {
  override readonly code = "WAVEPOOL_ORCHESTRATOR_CLOSED";
}

/**
 * A distributed run's backend (Redis) cannot be reached: `execute` fails with this before any step
 * runs. `url` names the server (its password masked).
 */
export class BackendUnavailableError extends WavepoolError {
  override readonly code = "WAVEPOOL_BACKEND_UNAVAILABLE";
  readonly url?: string;
  constructor(message: string, options: WavepoolErrorOptions & { url?: string } = {}) {
    super(message, options);
    if (options.url !== undefined) this.url = options.url;
  }
}

/** The plain, cloneable form of an error kept in a step record. */
export interface ErrorInfo {
  name: string;
  code: string;
  message: string;
  stack?: string;
  /** StepFailedError: the agent's own error (name, message, stack, code). */
  agentError?: AgentErrorInfo;
  /** Errors that point into a value or a strategy: where. */
  path?: string;
  /** The underlying failure (e.g. Node's `ERR_WORKER_OUT_OF_MEMORY` under a WorkerCrashedError). */
  cause?: { name: string; message: string; code?: string };
}

/**
 * Reduces anything thrown to the `{ name, code, message }` record kept in results and state files.
 * Never throws, whatever the value (it may come from an agent or an event listener).
 */
export function errorInfo(error: unknown): ErrorInfo {
  const base = toErrorInfo(error);
  const info: ErrorInfo = { name: base.name, code: base.code ?? "WAVEPOOL_ERROR", message: base.message };
  if (base.stack !== undefined) info.stack = base.stack;
  if (typeof error === "object" && error !== null) {
    const agentError = readProperty(error, "agentError") as AgentErrorInfo | undefined;
    const path = readProperty(error, "path");
    const cause = readProperty(error, "cause");
    if (agentError !== undefined) info.agentError = agentError;
    if (typeof path === "string") info.path = path;
    if (cause !== undefined) {
      const { name, message, code } = toErrorInfo(cause);
      info.cause = code === undefined ? { name, message } : { name, message, code };
    }
  }
  return info;
}
