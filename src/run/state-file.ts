// The durable state of a run: what `saveStateTo` writes and `resumeFrom` reads. One file per run,
// replaced atomically, so a crash at any moment leaves the previous or the next complete state.
// Reads every format: snapshots (versions 1 and 2, ./state-snapshot.ts) and journals (version 3,
// ./journal-format.ts).
import { createHash } from "node:crypto";
import { open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { threadId } from "node:worker_threads";
import { StateFileError, StateMismatchError } from "../errors.js";
import { FILE_HEADER_LENGTH, JOURNAL_VERSION, MAGIC } from "./journal-format.js";
import { replayJournal } from "./journal-records.js";
import type { PendingApproval, StepRecord } from "./result.js";
import { checkShape } from "./state-shape.js";
import { stateFileError } from "./state-target.js";
import { encodeValue } from "../pool/value-codec.js";
import { decodeSnapshot, SNAPSHOT_DECODERS } from "./state-snapshot.js";

/** Everything a run needs to resume: the task, its inputs, every finished output and every step record. */
export interface SavedRunState {
  format: "wavepool-state";
  /** The version of this shape. The file's header has its own version, that of the encoding. */
  version: 1;
  /** `strategyFingerprint` of the strategy that wrote the state; a resume checks it. */
  fingerprint: string;
  runId: string;
  task: string;
  inputs: Record<string, unknown>;
  /** Every finished output by output key; any structured-clone-safe value round-trips. */
  outputs: Map<string, unknown>;
  steps: StepRecord[];
  pendingApprovals: PendingApproval[];
  /** Answers given so far, by step id. */
  approvals: Record<string, { approved: boolean; note?: string }>;
  /** Epoch milliseconds. */
  savedAt: number;
}

// Header: magic, format version (u16), payload length (u64), sha256 of the payload, all big-endian.
// The length and the digest are what tell a truncated or damaged file from a state. Version 2
// payloads are `encodeValue` of the state, which keeps views on one buffer together and saves
// SharedArrayBuffers; it is what writeStateFile writes.
const FORMAT_VERSION = 2;
const HEADER_LENGTH = MAGIC.length + 2 + 8 + 32;
const WHAT_TO_DO = "delete it or pass the state file written by this strategy";

/** Encodes a state as the bytes of a state file (header, then `encodeValue` of the state). */
export function encodeState(state: SavedRunState): Buffer {
  checkShape(state, "the state to save", (message) => new TypeError(message));
  const payload = encodePayload(state);
  const header = Buffer.alloc(HEADER_LENGTH);
  MAGIC.copy(header, 0);
  header.writeUInt16BE(FORMAT_VERSION, MAGIC.length);
  header.writeBigUInt64BE(BigInt(payload.length), MAGIC.length + 2);
  createHash("sha256").update(payload).digest().copy(header, MAGIC.length + 10);
  return Buffer.concat([header, payload]);
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
 * path), other I/O errors a `StateFileError` with the path; never a raw system error.
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

// Encodes the state; when a value cannot be saved, says which output (or input) it is.
function encodePayload(state: SavedRunState): Buffer {
  try {
    return encodeValue(state);
  } catch (error) {
    const fails = (value: unknown): boolean => {
      try {
        encodeValue(value);
        return false;
      } catch {
        return true;
      }
    };
    const output = [...state.outputs].find(([, value]) => fails(value))?.[0];
    const input = Object.entries(state.inputs).find(([, value]) => fails(value))?.[0];
    const what = output !== undefined ? `the output ${output}` : input !== undefined ? `the input ${input}` : "the state";
    throw new TypeError(`${what} cannot be saved in a state file: ${(error as Error).message}`, { cause: error });
  }
}

// pid + threadId + counter is unique among live writers (each thread loads this module with its own
// counter), so a file that already has the name is debris of a dead process and safe to overwrite.
let tempCounter = 0;

/**
 * Writes `state` to `file` atomically: into a temp file beside it, fsync, rename over `file`, then
 * fsync the directory (best effort) so the rename itself survives a power cut. A crash at any moment
 * leaves either the old or the new complete file (and at worst a stray `.<name>.*.tmp` beside it).
 * @example await writeStateFile("run.state", state);
 */
export async function writeStateFile(file: string, state: SavedRunState): Promise<void> {
  const bytes = encodeState(state); // before touching the disk: an unserialisable state leaves no file
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${process.pid}.${threadId}.${++tempCounter}.tmp`);
  try {
    const handle = await open(temp, "w");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  // Some platforms (Windows) and file systems cannot open or fsync a directory; the rename stands.
  const handle = await open(dir, "r").catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close().catch(() => undefined);
}

interface Attempt {
  generation: number;
  failure?: { error: unknown };
}

interface Waiter {
  generation: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Saves the states of one run to one file, one write at a time. Saves requested while a write is in
 * flight coalesce: only the newest is written next. A state is encoded when its write starts, so it
 * may hold live objects as long as they are consistent whenever the event loop turns.
 * @example
 * const writer = new StateWriter("run.state");
 * writer.save(state);     // returns at once
 * await writer.flush();   // the newest saved state is on disk, or this rejects with why not
 */
export class StateWriter {
  /** The file every state is written to. */
  readonly file: string;
  #requested = 0;
  #next: { generation: number; state: SavedRunState } | undefined;
  #last: Attempt = { generation: 0 };
  #draining = false;
  #waiters: Waiter[] = [];

  constructor(file: string) {
    this.file = file;
  }

  /** Queues `state` to be written; errors surface from `flush()`, never as unhandled rejections. */
  save(state: SavedRunState): void {
    this.#next = { generation: ++this.#requested, state };
    if (!this.#draining) void this.#drain();
  }

  /**
   * Resolves once the newest state saved so far (or a newer one) is on disk; rejects with a
   * `StateFileError` naming the file (the write error as its cause) if that write failed, and keeps
   * rejecting until a later save is written.
   */
  flush(): Promise<void> {
    const generation = this.#requested;
    const last = this.#last;
    if (last.generation >= generation) return last.failure ? Promise.reject(last.failure.error) : Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ generation, resolve, reject }));
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    for (let job = this.#next; job !== undefined; job = this.#next) {
      this.#next = undefined;
      const attempt: Attempt = { generation: job.generation };
      try {
        await writeStateFile(this.file, job.state);
      } catch (error) {
        attempt.failure = { error: stateFileError(this.file, error) };
      }
      this.#last = attempt;
      // A write covers every older save too: they were coalesced into it.
      this.#waiters = this.#waiters.filter((w) => {
        if (w.generation > attempt.generation) return true;
        if (attempt.failure) w.reject(attempt.failure.error);
        else w.resolve();
        return false;
      });
    }
    this.#draining = false;
  }
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
