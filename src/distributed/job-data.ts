// What crosses Redis between a coordinator and its workers, declared in one place: a step's job (its
// BullMQ data, JSON), what the job returns, and the names of the keys and channel beside the queue.
// Values keep their types: they cross as the bytes of ../pool/value-codec.ts, never as JSON.
import type { ApprovalDecision } from "../agent.js";
import type { AgentErrorInfo } from "../error-serial.js";
import type { LogLevel } from "../pool/protocol.js";
import { decodeValue, encodeValue } from "../pool/value-codec.js";
import type { WireValue } from "../pool/wire-value.js";
import type { StepStatus } from "../run/result.js";

/** The prefix of every BullMQ key of ours (BullMQ's own default is "bull"). */
export const PREFIX = "wavepool";

/** A step's job: `job.data`. */
export interface StepJobData {
  runId: string;
  /** The unit's id (`step`, or `step[3]` for an item of a fan-out). */
  stepId: string;
  attempt: number;
  agent: { name: string; module: string; export: string; sha256: string };
  /** Base64 of `encodeValue(StepPayload)`. */
  payload: string;
  /** Inputs that are outputs stored in Redis: input name -> key (names of one value share a key). */
  refs: Record<string, string>;
}

/** What a job carries as bytes: everything of the attempt that is a value. */
export interface StepPayload {
  intent: string;
  /** The inputs not in `refs`, in their wire form. */
  inputs: Record<string, WireValue>;
  options?: unknown;
  expectedOutput?: string;
  approval?: ApprovalDecision;
  /** 0 for none; enforced on the worker by terminating the step's thread. */
  timeoutMs: number;
  loadTimeoutMs: number;
  cancelGraceMs: number;
  /** The most verbose `ctx.log` level the coordinator's logger takes (absent: every line is sent). */
  logLevel?: LogLevel;
}

/** An error as it crosses back: what the coordinator needs to rebuild the same typed error. */
export interface RemoteError {
  name: string;
  message: string;
  stepId?: string;
  agent?: string;
  agentError?: AgentErrorInfo;
  path?: string;
  timeoutMs?: number;
  cause?: { name: string; message: string; code?: string };
}

interface Ran {
  threadId: number;
  /** `host:pid` of the worker process. */
  worker: string;
  endedAt: number;
  /** The id of the job's last entry in its run's calls stream (./call-stream.ts), if its agent made calls. */
  lastCall?: string;
}

/** What a job returns (`returnvalue`): a step's end, never a thrown error. */
export type JobResult =
  /** `ref`: the key of the output's bytes (`encodeValue`), stored with an expiry. */
  | (Ran & { kind: "completed"; ref: string; startedAt: number })
  | (Ran & { kind: "paused"; startedAt: number })
  | (Ran & { kind: "failed"; status: Extract<StepStatus, "failed" | "timed_out" | "cancelled">; retryable: boolean; error: RemoteError; startedAt: number | null });

/** The job id of attempt `attempt` of unit `stepId` of run `runId`: the same whoever enqueues it. */
export function jobIdOf(runId: string, stepId: string, attempt: number): string {
  // BullMQ takes a custom id with exactly two colons.
  return `${runId}:${encodeURIComponent(stepId)}:${attempt}`;
}

/** Where a job's output is stored. */
export const outputKey = (queue: string, jobId: string): string => `${PREFIX}:${queue}:out:${jobId}`;
/** The stream the calls of a run's agents come back on (./call-stream.ts). */
export const callsKey = (queue: string, runId: string): string => `${PREFIX}:${queue}:calls:${runId}`;
/** The set of every job id a run added, across coordinators (a resumed run removes its predecessor's too). */
export const jobsKey = (queue: string, runId: string): string => `${PREFIX}:${queue}:jobs:${runId}`;
/** The channel cancels are published on (the job id, a space, the reason). */
export const cancelChannel = (queue: string): string => `${PREFIX}:${queue}:cancel`;
/** Set when a job is cancelled, for a worker that takes it before it heard the message. */
export const cancelKey = (queue: string, jobId: string): string => `${PREFIX}:${queue}:cancelled:${jobId}`;
/** The list the answer to approval request `n` (0, 1, ...) of a job's agent comes back in (./remote-approval.ts). */
export const answerKey = (queue: string, jobId: string, n: number): string => `${PREFIX}:${queue}:answer:${jobId}:${n}`;

export function encodePayload(payload: StepPayload): string {
  return encodeValue(payload).toString("base64");
}

export function decodePayload(text: string): StepPayload {
  return decodeValue(Buffer.from(text, "base64")) as StepPayload;
}
