// The attempts of a run, as every report draws them: one per try that started on a thread.
import type { AttemptRecord, StepRecord } from "../run/result.js";

/**
 * A step's attempts; a record without history (an older state file) still yields its last attempt.
 * A `forEach` step yields none: its record spans its items (`startedAt` to `endedAt`), which ran
 * as attempts of their own records (`research[0]`, ...), and it ran nothing itself.
 */
export function attemptsOf(record: StepRecord): AttemptRecord[] {
  if (record.items !== undefined) return [];
  if (record.history.length > 0 || record.startedAt === undefined || record.endedAt === undefined) return record.history;
  const last: AttemptRecord = {
    attempt: Math.max(1, record.attempts), status: record.status, threadId: record.threadId,
    startedAt: record.startedAt, endedAt: record.endedAt,
  };
  if (record.error !== undefined) last.error = record.error;
  return [last];
}

/** Orders thread ids for display: ascending, with -1 (an attempt that never got a thread) last. */
export function byThread(a: number, b: number): number {
  return (a < 0 ? 1 : 0) - (b < 0 ? 1 : 0) || a - b;
}
