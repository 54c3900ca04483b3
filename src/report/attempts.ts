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
  if (record.worker !== undefined) last.worker = record.worker;
  if (record.error !== undefined) last.error = record.error;
  return [last];
}

/** Orders thread ids for display: ascending, with -1 (an attempt that never got a thread) last. */
export function byThread(a: number, b: number): number {
  return (a < 0 ? 1 : 0) - (b < 0 ? 1 : 0) || a - b;
}

/**
 * Where an attempt ran: a thread of this process, or of a worker process of a distributed run
 * (`worker`, `host:pid`), whose thread ids are its own and repeat across workers.
 */
export interface Track {
  /** The worker process (`host:pid`); absent for this process's own threads. */
  worker?: string;
  threadId: number;
}

export function trackOf(attempt: { threadId: number; worker?: string }): Track {
  return attempt.worker === undefined ? { threadId: attempt.threadId } : { worker: attempt.worker, threadId: attempt.threadId };
}

/** A key that tells tracks apart (a thread id alone does not, across workers). */
export function trackKey(track: Track): string {
  return track.worker === undefined ? String(track.threadId) : `${track.worker}/${track.threadId}`;
}

/** Orders tracks: this process's threads first, then each worker's in name order; threads by `byThread`. */
export function byTrack(a: Track, b: Track): number {
  if (a.worker !== b.worker) {
    if (a.worker === undefined) return -1;
    if (b.worker === undefined) return 1;
    return a.worker < b.worker ? -1 : 1;
  }
  return byThread(a.threadId, b.threadId);
}

/** "thread 3", "host:1234 · thread 3", "no thread". */
export function trackLabel(track: Track): string {
  const thread = track.threadId < 0 ? "no thread" : `thread ${track.threadId}`;
  return track.worker === undefined ? thread : `${track.worker} · ${thread}`;
}
