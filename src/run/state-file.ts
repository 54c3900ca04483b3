// The durable state of a run: what `saveStateTo` writes and `resumeFrom` reads. The file is a journal
// (./journal-format.ts): a header with the run, then a record each time steps settle, appended as the
// run goes (./state-journal.ts) and read up to the last whole record, so a crash at any moment leaves
// a readable state. Files of earlier wavepools, one snapshot each (./state-snapshot.ts), are still read.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { StateFileError, StateMismatchError } from "../errors.js";
import { FILE_HEADER_LENGTH, fileHeader, JOURNAL_VERSION, MAGIC, SharedIds } from "./journal-format.js";
import { replayJournal, stateRecords } from "./journal-records.js";
import type { PendingApproval, StepRecord } from "./result.js";
import { checkShape } from "./state-shape.js";
import { decodeSnapshot, SNAPSHOT_DECODERS } from "./state-snapshot.js";

/** Everything a run needs to resume: the task, its inputs, every finished output and every step record. */
export interface SavedRunState {
  format: "wavepool-state";
  /** The version of this shape. The file's header has its own version, that of the encoding (3: a journal). */
  version: 1;
  /** `strategyFingerprint` of the strategy that wrote the state; a resume checks it. */
  fingerprint: string;
  runId: string;
  task: string;
  inputs: Record<string, unknown>;
  /**
   * Every finished output by output key; any structured-clone-safe value round-trips. A `repeat`
   * step between iterations (see `steps`) has its last finished iteration's output under its key.
   */
  outputs: Map<string, unknown>;
  /**
   * A record per step (and per item of a fan-out). A `repeat` step the state caught between
   * iterations (the run was killed in a later one, or it paused, was cancelled or failed there) has
   * a record that is not `completed`, with `iterations`: how many finished; the last one's output is
   * in `outputs` under the step's output key, and a resume goes on at the next iteration with it as
   * `previous`. States written before wavepool saved iterations have `iterations` without that
   * output: their repeat steps run again from the first iteration.
   */
  steps: StepRecord[];
  pendingApprovals: PendingApproval[];
  /** Answers given so far, by step id. */
  approvals: Record<string, { approved: boolean; note?: string }>;
  /** Epoch milliseconds. */
  savedAt: number;
}

const WHAT_TO_DO = "delete it or pass the state file written by this strategy";

/** The bytes of a state file holding `state`: a journal of its header and one record per output. */
export function encodeState(state: SavedRunState): Buffer {
  const ids = new SharedIds();
  return Buffer.concat([fileHeader(), ...[...stateRecords(state, ids)].flat()]);
}

/**
 * Decodes the bytes of a state file: a journal (format version 3) or a snapshot of an earlier
 * wavepool (versions 1 and 2). A journal's records after its header are read up to the first that a
 * crash cut short or that is damaged. Anything else (foreign, a snapshot cut short or damaged, a
 * missing or damaged header, another version, a wrong shape) throws `StateMismatchError`, never a raw error.
 * @param source names the bytes in messages. @default "the state"
 */
export function decodeState(bytes: Buffer, source = "the state"): SavedRunState {
  const fail = (why: string, cause?: unknown): never => {
    throw new StateMismatchError(`${source} ${why}; ${WHAT_TO_DO}`, { cause });
  };
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC.subarray(0, Math.min(bytes.length, MAGIC.length)))) {
    fail("is not a wavepool state file (it does not start with WAVEPOOL-STATE)");
  }
  if (bytes.length < FILE_HEADER_LENGTH) fail(`is truncated (${bytes.length} bytes, shorter than its header)`);
  const version = bytes.readUInt16BE(MAGIC.length);
  let state: unknown;
  if (version === JOURNAL_VERSION) state = replayJournal(bytes, fail).state;
  else if (Object.hasOwn(SNAPSHOT_DECODERS, version)) state = decodeSnapshot(bytes, version, fail);
  else fail(`has state format version ${version}; this wavepool reads versions 1 to ${JOURNAL_VERSION}`);
  checkShape(state, source, (message) => new StateMismatchError(`${message}; ${WHAT_TO_DO}`));
  return state;
}

/**
 * Reads and decodes a state file. A missing file or a directory is a `StateMismatchError` (the wrong
 * path), other I/O errors a `StateFileError` with the path; never a raw system error. A `repeat` step
 * in progress shows as its record's `iterations` and its last iteration's output (`SavedRunState.steps`).
 * @example
 * const saved = await readStateFile("run.state");
 * const polish = saved.steps.find((r) => r.stepId === "polish");
 * if (polish?.status !== "completed" && polish?.iterations) saved.outputs.get(polish.outputKey); // iteration `iterations`'s output
 */
export async function readStateFile(file: string): Promise<SavedRunState> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new StateMismatchError(`state file ${file} does not exist; pass the file given as saveStateTo, or start without resumeFrom`, { cause: error });
    }
    if (code === "EISDIR") {
      throw new StateMismatchError(`state file ${file} is a directory; pass the file given as saveStateTo, not its folder`, { cause: error });
    }
    throw new StateFileError(`state file ${file} cannot be read: ${(error as Error).message}; check the path and its permissions`, { path: file, cause: error });
  }
  return decodeState(bytes, `state file ${file}`);
}

/**
 * A sha256 (hex) of the canonical JSON of `shape`: object keys sorted at every level, so the same
 * strategy always gives the same fingerprint however its keys were ordered. Pass plain JSON data
 * (the runtime passes the strategy's `toJSON()` without its agents).
 */
export function strategyFingerprint(shape: unknown): string {
  const json = JSON.stringify(shape, sortKeys) ?? "null";
  return createHash("sha256").update(json).digest("hex");
}

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Throws `StateMismatchError` unless `state` was written by the strategy with this fingerprint. */
export function assertStateMatches(state: SavedRunState, fingerprint: string, source = "the state"): void {
  if (state.fingerprint === fingerprint) return;
  throw new StateMismatchError(
    `${source} was written by a different strategy (fingerprint ${state.fingerprint.slice(0, 12)}, this strategy is ${fingerprint.slice(0, 12)}); ${WHAT_TO_DO}, or start without resumeFrom`,
  );
}
