// What one run writes to its state journal (./state-journal.ts), and when: the state it starts from
// before any step runs, then a record each time steps settle (completed with its output, paused with
// its request, failed, skipped, cancelled) or a `repeat` step finishes an iteration, and at the end
// the records that changed after they were written. A step's record is appended before its end is
// reported, and the run's events wait for the records before them (./run-reporter.ts), so a step
// end (or an iteration's) that anyone saw survives `kill -9`.
import { encodeParts, type EncodedParts } from "../pool/value-codec.js";
import { isEncoded, type WireValue } from "../pool/wire-value.js";
import type { PendingApproval, StateError } from "./result.js";
import type { RunState } from "./run-state.js";
import type { SavedRunState } from "./state-file.js";
import { writeStateFile, type StateJournal } from "./state-journal.js";
import { stateErrorOf } from "./state-target.js";

/** A file is compacted when its run ends only if outputs written over take at least this much. */
const COMPACT_FROM_BYTES = 1 << 20;

/** What a saved state says about the run besides its steps. */
export type RunHeader = Pick<SavedRunState, "runId" | "fingerprint" | "task" | "inputs" | "approvals">;

export class RunJournal {
  readonly #journal: StateJournal;
  readonly #state: RunState;
  readonly #header: RunHeader;
  /** Steps whose record changed after it was written (a stray warning): written again at the end. */
  readonly #touched = new Set<number>();
  /** How many attempts of each unit's history the file holds: a repeat step's iterations append only theirs. */
  #historyWritten: number[] = [];
  /** Bytes of the output the file holds last under each key written in this run, and of those written over since. */
  readonly #outputBytes = new Map<string, number>();
  #supersededBytes = 0;

  constructor(journal: StateJournal, state: RunState, header: RunHeader) {
    this.#journal = journal;
    this.#state = state;
    this.#header = header;
  }

  /** Starts the file with the state as it is now (restored steps and their outputs); rejects with a `StateFileError`. */
  open(): Promise<void> {
    this.#historyWritten = this.#state.records.map((r) => r.history.length);
    return this.#journal.open(this.#snapshot());
  }

  /**
   * Steps `indices` settled: their records as they are now. A completed step (the first index) gives
   * its output, in the bytes its worker sent (`wire`) or encoded here for a primitive; a paused one its request.
   */
  settled(indices: readonly number[], completed?: { output?: unknown; wire: WireValue }, pending?: PendingApproval): void {
    if (indices.length === 0) return;
    const { records } = this.#state;
    const meta = { steps: indices.map((i) => records[i]!), at: Date.now() };
    for (const i of indices) {
      this.#touched.delete(i);
      this.#historyWritten[i] = records[i]!.history.length;
    }
    if (completed !== undefined) {
      const output = isEncoded(completed.wire) ? completed.wire : encodeParts(completed.output);
      const key = records[indices[0]!]!.outputKey;
      this.#wrote(key, output);
      this.#journal.append({ ...meta, key }, output);
    } else {
      this.#journal.append(pending === undefined ? meta : { ...meta, pending });
    }
  }

  /**
   * `repeat` step `i` finished an iteration, with `end.output`, and goes on (or stopped after it): its
   * record as it is now (counting the iteration; of its history, the attempts not in the file yet)
   * and the iteration's output under the step's output key, appended like a step's end, so that a
   * resume goes on at the next iteration.
   */
  iterated(i: number, end: { output?: unknown; wire: WireValue }): void {
    const record = this.#state.records[i]!;
    const written = this.#historyWritten[i] ?? 0;
    this.#historyWritten[i] = record.history.length;
    this.#touched.delete(i);
    const output = isEncoded(end.wire) ? end.wire : encodeParts(end.output);
    this.#wrote(record.outputKey, output);
    this.#journal.append({ steps: [], iterated: { ...record, history: record.history.slice(written) }, key: record.outputKey, at: Date.now() }, output);
  }

  /** Step `i`'s record changed after it settled; it is written again when the run ends. */
  touched(i: number): void {
    if (this.#state.status[i] !== "running" && this.#state.status[i] !== "pending") this.#touched.add(i);
  }

  /** Calls `deliver` once everything settled so far is in the file. */
  whenWritten(deliver: () => void): void {
    this.#journal.whenWritten(deliver);
  }

  /**
   * Writes what changed since it settled, syncs the file and closes it; if the journal could not be
   * kept (a failed write, the file removed), writes the whole state instead. Resolves with what the
   * result reports as `stateError` if that failed too. A file that is mostly outputs written over
   * (a `repeat` step's iterations) is compacted: the state is written anew, atomically, in its place.
   */
  async close(): Promise<StateError | undefined> {
    const records = this.#state.records;
    this.#journal.append({ steps: [...this.#touched].map((i) => records[i]!), at: Date.now() });
    this.#touched.clear();
    try {
      await this.#journal.close(() => this.#snapshot());
    } catch (error) {
      return stateErrorOf(error, this.#journal.file);
    }
    if (this.#compactable()) {
      // The journal is whole and holds the state: a compaction that fails (a full disk) leaves it as it is.
      await writeStateFile(this.#journal.file, this.#snapshot()).catch(() => undefined);
    }
    return undefined;
  }

  /** An output of `key` goes to the file: the one it held under that key, if any, is written over. */
  #wrote(key: string, output: EncodedParts): void {
    let bytes = output.stream.byteLength;
    for (const buffer of output.shared) bytes += buffer.byteLength;
    this.#supersededBytes += this.#outputBytes.get(key) ?? 0;
    this.#outputBytes.set(key, bytes);
  }

  /** Whether outputs written over take at least a MiB and as much as the outputs the state holds. */
  #compactable(): boolean {
    let live = 0;
    for (const bytes of this.#outputBytes.values()) live += bytes;
    return this.#supersededBytes >= COMPACT_FROM_BYTES && this.#supersededBytes >= live;
  }

  #snapshot(): SavedRunState {
    return this.#state.snapshot(this.#header);
  }
}
