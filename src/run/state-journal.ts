// Writes the state of one run as a journal (./journal-format.ts): the file is created with the state
// the run starts from (written aside, synced if it replaces a state, renamed over the file), then a
// record is appended each time steps settle, so saving costs what each step adds, not the whole state.
//
// Appends never wait on the disk, nor pass over an output's bytes, on the main thread: the process's
// journal writer thread (./journal-writer.ts) checksums and writes each record, and records that
// arrive together go in one write. A record handed to the kernel survives `kill -9` of the process (it
// is in the page cache), which is the crash the state file is for; the operating system writes it
// to the disk within its own delay. On request (`syncEveryMs`), the file is also synced in the
// background (off the main thread, one sync at a time, at most every `syncEveryMs`) and once more
// when the run ends, so that the whole state survives a power cut from then on. Whatever a power cut
// takes, the file still reads up to its last whole record (a new file may be empty or absent then:
// nothing was lost that a resume could have used).
import type { FileHandle } from "node:fs/promises";
import { open, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { threadId } from "node:worker_threads";
import type { EncodedParts } from "../pool/value-codec.js";
import type { StateFileError } from "../errors.js";
import { fileHeader, recordLength, RecordType, SharedIds } from "./journal-format.js";
import { stateRecords, stepsRecordParts, type StepsMeta } from "./journal-records.js";
import { JournalWriter, type WriterReply } from "./journal-writer.js";
import type { SavedRunState } from "./state-file.js";
import { stateFileError } from "./state-target.js";

/**
 * The state file of one run, appended to as the run goes.
 * @example
 * const journal = new StateJournal("run.state");
 * await journal.open(state);                  // the file now holds `state`
 * journal.append({ steps: [record], key: "out", at: Date.now() }, encodeParts(output));
 * journal.whenWritten(() => console.log("the record is in the file"));
 * await journal.close(() => state);           // rejects with a StateFileError if it could not be kept
 */
export class StateJournal {
  /** The file the state is written to. */
  readonly file: string;
  readonly #ids = new SharedIds();
  #handle: FileHandle | undefined;
  #writer: JournalWriter | undefined;
  /** This journal's number with the writer thread. */
  #id = 0;
  /** Where the next record goes, and the end of the last record written whole. */
  #end = 0;
  #position = 0;
  /** Records appended so far, written so far (the first `#written` of them), and answered by the writer. */
  #queued = 0;
  #written = 0;
  #answered = 0;
  /** Resolves `close()` once every record sent is answered. */
  #drained: (() => void) | undefined;
  #failure: StateFileError | undefined;
  /** A background sync in flight or waiting for its time, the length of the file the last one covered, and when it began. */
  #syncing: Promise<void> | undefined;
  #syncTimer: NodeJS.Timeout | undefined;
  #synced = 0;
  #syncedAt = 0;
  /** The sync of the folder after the file was renamed into it: waited for when the journal closes. */
  #directorySynced: Promise<void> | undefined;
  #held: { upTo: number; deliver: () => void }[] = [];
  #heldFrom = 0;

  /** How often the file is synced while it is written, and when it closes; false: never (see the top of this file). */
  readonly #syncEveryMs: number | false;

  constructor(file: string, options: { syncEveryMs?: number | false } = {}) {
    this.file = file;
    this.#syncEveryMs = options.syncEveryMs ?? false;
  }

  /**
   * Creates the journal holding `state` (its header, then a record per output), replacing the file
   * atomically (synced first if it replaces a state), and keeps it open for appends. Rejects with a
   * `StateFileError` naming the file.
   */
  async open(state: SavedRunState): Promise<void> {
    if (this.#handle !== undefined) throw new Error(`the state journal ${this.file} is already open`);
    try {
      const writer = JournalWriter.shared();
      const { handle, position, directorySynced } = await createJournal(this.file, state, this.#ids, false);
      this.#directorySynced = directorySynced;
      this.#handle = handle;
      this.#end = this.#position = this.#synced = position;
      this.#writer = writer;
      this.#id = writer.open((reply) => this.#answer(reply));
    } catch (error) {
      throw stateFileError(this.file, error);
    }
  }

  /**
   * Appends a steps record; `output`, the encoded output of a completed step, goes with `meta.key`
   * (its bytes are not changed, they may go on to the step's readers). Returns at once and
   * never throws: a failure is kept for `close()`, and later records are dropped.
   */
  append(meta: StepsMeta, output?: EncodedParts): void {
    if (this.#handle === undefined || this.#failure !== undefined) return;
    try {
      const parts = stepsRecordParts(meta, output, this.#ids);
      const length = recordLength(parts.head, parts.tail); // before the parts move to the writer thread
      this.#writer!.write({ journal: this.#id, fd: this.#handle.fd, position: this.#end, seq: this.#queued + 1, type: RecordType.steps, ...parts });
      this.#end += length;
      this.#queued++;
    } catch (error) {
      this.#fail(error);
    }
  }

  /**
   * Calls `deliver` once every record appended so far is in the file (at once if they are), in the
   * order of the calls. A run delays its events this way, so that a step end anyone has seen survives
   * `kill -9`. After a failed write, callbacks are called at once: nothing more will be written.
   */
  whenWritten(deliver: () => void): void {
    if (this.#heldFrom === this.#held.length && (this.#written === this.#queued || this.#failure !== undefined)) return deliver();
    this.#held.push({ upTo: this.#queued, deliver });
  }

  /**
   * Ends the journal: waits for the records in flight, syncs the file if asked and checks that it is still the
   * file at its path. If a write failed, or the file was removed or replaced during the run, writes
   * `recover()` (the whole state as it is now) atomically instead. Rejects with a `StateFileError`
   * if the state could not be kept.
   */
  async close(recover: () => SavedRunState): Promise<void> {
    const handle = this.#handle;
    if (handle === undefined) return;
    if (this.#answered < this.#queued) await new Promise<void>((resolve) => (this.#drained = resolve));
    this.#writer!.close(this.#id);
    this.#handle = undefined; // no background sync starts from now on
    clearTimeout(this.#syncTimer);
    await this.#syncing;
    await this.#directorySynced;
    if (this.#failure === undefined) {
      try {
        if (this.#syncEveryMs !== false) await handle.datasync();
        await checkSameFile(handle, this.file);
      } catch (error) {
        this.#failure = stateFileError(this.file, error);
      }
    } else {
      // A write that failed may have left part of a record: cut it off (best effort; a reader ignores it anyway).
      await handle.truncate(this.#position).catch(() => undefined);
    }
    await handle.close().catch(() => undefined);
    this.#release(Infinity);
    if (this.#failure === undefined) return;
    try {
      await writeStateFile(this.file, recover());
      this.#failure = undefined;
    } catch (error) {
      throw stateFileError(this.file, error);
    }
  }

  /** The writer thread's answer for this journal's records up to `reply.upTo`. */
  #answer(reply: WriterReply): void {
    this.#answered = Math.min(reply.upTo, this.#queued);
    if (reply.error !== undefined) this.#fail(Object.assign(new Error(reply.error.message), reply.error));
    else if (this.#failure === undefined) {
      this.#written = reply.upTo;
      this.#position = reply.end;
      this.#release(reply.upTo);
      this.#scheduleSync();
    }
    if (this.#answered === this.#queued) this.#drained?.();
  }

  /** Starts a background sync of what is written, unless one runs, or the last began too recently (then later). */
  #scheduleSync(): void {
    if (this.#syncEveryMs === false || this.#syncing !== undefined || this.#syncTimer !== undefined || this.#handle === undefined) return;
    if (this.#position <= this.#synced || this.#failure !== undefined) return;
    const wait = this.#syncedAt + this.#syncEveryMs - Date.now();
    if (wait > 0) {
      this.#syncTimer = setTimeout(() => {
        this.#syncTimer = undefined;
        this.#scheduleSync();
      }, wait).unref();
      return;
    }
    this.#syncing = this.#sync();
  }

  /** Syncs what is written so far; appends go on meanwhile. */
  async #sync(): Promise<void> {
    const upTo = this.#position;
    this.#syncedAt = Date.now();
    try {
      await this.#handle!.datasync();
      this.#synced = upTo;
    } catch (error) {
      this.#fail(error);
    }
    this.#syncing = undefined;
    this.#scheduleSync();
  }

  /** Keeps the first failure and releases what waits; `close()` cuts a partly written record off the file. */
  #fail(error: unknown): void {
    this.#failure ??= stateFileError(this.file, error);
    this.#release(Infinity);
  }

  #release(upTo: number): void {
    while (this.#heldFrom < this.#held.length && this.#held[this.#heldFrom]!.upTo <= upTo) {
      this.#held[this.#heldFrom++]!.deliver();
    }
    if (this.#heldFrom === this.#held.length) {
      this.#held = [];
      this.#heldFrom = 0;
    }
  }
}

// pid + threadId + counter is unique among live writers (each thread loads this module with its own
// counter), so a file that already has the name is debris of a dead process and safe to overwrite.
let tempCounter = 0;
/** Records are gathered into writes of about this many bytes. */
const WRITE_BYTES = 1 << 20;

/**
 * Writes `state` as a journal beside `file` and renames it over `file`; returns the open file, its
 * length, and the sync of the folder that makes the rename survive a power cut. The header is
 * encoded before the disk is touched, and a failure later (an output that cannot be saved, a full
 * disk) removes the file written aside: `file` is untouched. The new file is synced before it
 * replaces one (`durable`, or a state already at `file`: what a resume must not lose); a new state
 * file in place of none needs no wait, its background syncs follow within moments.
 */
async function createJournal(
  file: string, state: SavedRunState, ids: SharedIds, durable: boolean,
): Promise<{ handle: FileHandle; position: number; directorySynced: Promise<void> }> {
  const records = stateRecords(state, ids);
  let chunks: Uint8Array[] = [fileHeader(), ...records.next().value!];
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${process.pid}.${threadId}.${++tempCounter}.tmp`);
  const replacing = durable || (await stat(file).then(() => true, () => false));
  const handle = await open(temp, "w");
  let position = 0;
  const write = async (): Promise<void> => {
    const bytes = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    const { bytesWritten } = await handle.writev(chunks, position);
    if (bytesWritten !== bytes) throw new Error(`only ${bytesWritten} of ${bytes} bytes were written`);
    position += bytes;
    chunks = [];
  };
  try {
    let pending = 0;
    for (const record of records) {
      chunks.push(...record);
      pending += record.reduce((sum, chunk) => sum + chunk.byteLength, 0);
      if (pending >= WRITE_BYTES) {
        await write();
        pending = 0;
      }
    }
    await write();
    if (replacing) await handle.sync();
    await rename(temp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  const directorySynced = syncDirectory(dir);
  if (durable) await directorySynced;
  return { handle, position, directorySynced };
}

/**
 * Writes `state` to `file` atomically, as a journal of its header and one record per output: into a
 * temp file beside it, fsync, rename over `file`, then fsync the directory (best effort) so the
 * rename itself survives a power cut. A crash at any moment leaves either the old or the new
 * complete file (and at worst a stray `.<name>.*.tmp` beside it).
 * @example await writeStateFile("run.state", state);
 */
export async function writeStateFile(file: string, state: SavedRunState): Promise<void> {
  const { handle } = await createJournal(file, state, new SharedIds(), true);
  await handle.close();
}

async function syncDirectory(dir: string): Promise<void> {
  // Some platforms (Windows) and file systems cannot open or fsync a directory; the rename stands.
  const handle = await open(dir, "r").catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close().catch(() => undefined);
}

/** Throws (ENOENT) unless `file` is still the file `handle` writes: it was not removed or replaced. */
async function checkSameFile(handle: FileHandle, file: string): Promise<void> {
  const [ours, there] = await Promise.all([handle.stat(), stat(file)]);
  if (ours.ino !== there.ino || ours.dev !== there.dev) {
    throw Object.assign(new Error(`ENOENT: the state file was replaced during the run, ${file}`), { code: "ENOENT" });
  }
}
