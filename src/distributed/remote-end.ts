// An attempt's end on both sides of Redis: the worker turns its local `AttemptEnd` into a JSON job
// result; the coordinator turns that back into the `AttemptEnd` its run applies, with an error of
// the same class, code and fields as a local run's.
import {
  AgentLoadError, OutputNotCloneableError, RunCancelledError, StepFailedError, StepTimeoutError, WavepoolError, WorkerCrashedError,
} from "../errors.js";
import { readProperty } from "../error-serial.js";
import type { AttemptEnd } from "../run/attempt.js";
import type { JobResult, RemoteError } from "./job-data.js";

/** The job result of a local end that did not complete (a completed one stores its output first). */
export function failedResult(end: Extract<AttemptEnd, { kind: "failed" | "paused" }>, worker: string): JobResult {
  if (end.kind === "paused") return { kind: "paused", threadId: end.threadId, startedAt: end.startedAt, endedAt: end.endedAt, worker };
  const { status, retryable, error } = end.failure;
  return {
    kind: "failed", status, retryable, error: remoteError(error), threadId: end.threadId, startedAt: end.startedAt ?? null, endedAt: end.endedAt, worker,
  };
}

/** A failure of the worker's own (a module refused, a payload it cannot read): it ran nothing. */
export function refusedResult(error: WavepoolError, worker: string): JobResult {
  const now = Date.now();
  return { kind: "failed", status: "failed", retryable: false, error: remoteError(error), threadId: -1, startedAt: null, endedAt: now, worker };
}

function remoteError(error: WavepoolError): RemoteError {
  const out: RemoteError = { name: error.name, message: error.message };
  if (error.stepId !== undefined) out.stepId = error.stepId;
  if (error.agent !== undefined) out.agent = error.agent;
  for (const key of ["agentError", "path", "timeoutMs"] as const) {
    const value = readProperty(error, key);
    if (value !== undefined) (out as unknown as Record<string, unknown>)[key] = value;
  }
  const cause = readProperty(error, "cause") as { name?: unknown; message?: unknown; code?: unknown } | undefined;
  if (cause !== undefined && cause !== null) {
    out.cause = { name: String(cause.name ?? "Error"), message: String(cause.message ?? cause) };
    if (typeof cause.code === "string") out.cause.code = cause.code;
  }
  return out;
}

const CLASSES: Record<string, new (message: string, options: Record<string, unknown>) => WavepoolError> = {
  AgentLoadError, OutputNotCloneableError, RunCancelledError, StepFailedError, StepTimeoutError, WorkerCrashedError,
};

/** The typed error `remote` stands for (a `WavepoolError` for a class this side does not know). */
export function rebuildError(remote: RemoteError): WavepoolError {
  const Class = CLASSES[remote.name] ?? WavepoolError;
  const { name: _name, message, cause, ...fields } = remote;
  const options: Record<string, unknown> = { ...fields };
  if (cause !== undefined) options.cause = Object.assign(new Error(cause.message), { name: cause.name }, cause.code === undefined ? {} : { code: cause.code });
  return new Class(message, options);
}
