// Turns how an attempt ended (an agent error value, or a rejection from the pool) into the typed
// error, status and retry decision of the step.
import {
  AgentLoadError, OutputNotCloneableError, RunCancelledError, StepFailedError, StepTimeoutError,
  WorkerCrashedError, type WavepoolError,
} from "../errors.js";
import { threadDiedLoading } from "../pool/load-failure.js";
import type { StepErrored } from "../pool/protocol.js";
import type { StepStatus } from "./result.js";

export interface Failure {
  status: Extract<StepStatus, "failed" | "timed_out" | "cancelled">;
  error: WavepoolError;
  retryable: boolean;
}

interface Where { stepId: string; agent: string }

/** An attempt whose agent threw, failed to load, or returned an uncloneable value. */
export function fromOutcome(outcome: StepErrored, where: Where): Failure {
  const { stepId, agent } = where;
  const e = outcome.error;
  if (outcome.reason === "load") {
    return { status: "failed", retryable: false, error: new AgentLoadError(`agent ${agent} could not be loaded for step ${stepId}: ${e.message}`, { stepId, agent }) };
  }
  if (outcome.reason === "not-cloneable") {
    return {
      status: "failed", retryable: false,
      error: new OutputNotCloneableError(
        `step ${stepId} (agent ${agent}) returned a value that cannot cross threads at ${outcome.path}, ${e.message}: return plain data (no functions, symbols, promises, proxies, weak collections or platform objects such as URL or Headers)`,
        { stepId, agent, ...(outcome.path !== undefined ? { path: outcome.path } : {}) },
      ),
    };
  }
  if (outcome.reason === "crashed") {
    const how = outcome.escaped === "unhandledRejection" ? "a promise rejection nobody handled" : "an uncaught exception";
    const cause = Object.assign(new Error(e.message), { name: e.name, ...(e.code !== undefined ? { code: e.code } : {}) });
    return {
      status: "failed", retryable: true,
      error: new WorkerCrashedError(
        `step ${stepId} (agent ${agent}) crashed: ${how} escaped the agent: ${e.name}: ${e.message}; its thread is replaced. Await or catch the work the agent starts`,
        { stepId, agent, cause },
      ),
    };
  }
  const error = new StepFailedError(`step ${stepId} (agent ${agent}) failed: ${e.name}: ${e.message}`, { stepId, agent, agentError: e });
  if (e.stack !== undefined) error.stack = `${error.name}: ${error.message}\n    agent stack:\n${e.stack}`;
  return { status: "failed", retryable: e.retryable !== false, error };
}

/** Why the main thread aborted an attempt, if it did. */
export type AbortCause =
  | { kind: "timeout"; timeoutMs: number; loading?: boolean }
  | { kind: "load-timeout"; loadTimeoutMs: number }
  | { kind: "cancel"; reason: string };

/** An attempt the main thread aborted (whether it ended by rejection or by the agent giving up). */
export function fromAbort(aborted: AbortCause, where: Where): Failure {
  const { stepId, agent } = where;
  switch (aborted.kind) {
    case "timeout":
      return {
        status: "timed_out", retryable: true,
        error: new StepTimeoutError(
          aborted.loading
            ? `step ${stepId} (agent ${agent}) ran past its ${aborted.timeoutMs} ms timeout while a fresh thread was still importing its agent; the thread finishes the import for later steps. Raise timeoutMs, or make the agent module quicker to import`
            : `step ${stepId} (agent ${agent}) ran past its ${aborted.timeoutMs} ms timeout; its thread was terminated. Raise timeoutMs or make the step cheaper`,
          { stepId, agent, timeoutMs: aborted.timeoutMs },
        ),
      };
    case "load-timeout":
      return {
        status: "failed", retryable: false,
        error: new AgentLoadError(
          `agent ${agent} did not finish loading within ${aborted.loadTimeoutMs} ms for step ${stepId} (a top-level await that never settles, or a busy loop); its thread was terminated. Fix the module or raise withAgentLoadTimeout`,
          { stepId, agent },
        ),
      };
    case "cancel":
      return { status: "cancelled", retryable: false, error: new RunCancelledError(`step ${stepId} (agent ${agent}) was cancelled: ${aborted.reason}`, { stepId, agent }) };
  }
}

/** An attempt whose `pool.run` rejected: aborted by us, or its worker died. */
export function fromRejection(reason: unknown, aborted: AbortCause | undefined, where: Where): Failure {
  if (aborted !== undefined) return fromAbort(aborted, where);
  const { stepId, agent } = where;
  const err = reason as { name?: string; message?: string; code?: string } | undefined;
  if (err?.name === "DataCloneError") {
    return {
      status: "failed", retryable: false,
      error: new OutputNotCloneableError(`step ${stepId} (agent ${agent}) returned a value that cannot be structured-cloned: ${err.message}`, { stepId, agent, cause: reason }),
    };
  }
  const code = err?.code ? ` (${err.code})` : "";
  return {
    status: "failed", retryable: true,
    error: new WorkerCrashedError(
      `the worker thread running step ${stepId} (agent ${agent}) died: ${err?.message ?? String(reason)}${code}; the pool replaced it`,
      { stepId, agent, cause: reason },
    ),
  };
}

/** A thread that died while it imported the step's agent: not retried, running it again would not help. */
export function fromLoadCrash(reason: unknown, where: Where, module: string): Failure {
  return { status: "failed", retryable: false, error: threadDiedLoading(where.agent, module, reason, where.stepId) };
}

/** An output the worker serialised but the main thread cannot rebuild (nested beyond its stack). */
export function fromUnreadableOutput(error: unknown, where: Where): Failure {
  const { stepId, agent } = where;
  return {
    status: "failed", retryable: false,
    error: new OutputNotCloneableError(
      `step ${stepId} (agent ${agent}) returned a value the main thread cannot read (${(error as Error)?.message ?? String(error)}); ` +
        "its worker could serialise it but the main thread's smaller stack cannot rebuild it: return a flatter value",
      { stepId, agent, path: "$", cause: error },
    ),
  };
}
