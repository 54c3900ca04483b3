// What the records of the state journal mean: a header record with the run (everything but the
// outputs), then a steps record each time steps settle (their records, and the output of a completed
// one) or a `repeat` step finishes an iteration. Writing a whole state is a header and one record per
// output; reading replays the records in order over the header, up to the last whole one.
import { encodeParts, type EncodedParts } from "../pool/value-codec.js";
import { decodeRecordValues, encodeRecord, FILE_HEADER_LENGTH, frameEnd, frameOf, readRecords, recordParts, RecordType, type SharedIds } from "./journal-format.js";
import type { PendingApproval, StepRecord } from "./result.js";
import type { SavedRunState } from "./state-file.js";
import { checkShape } from "./state-shape.js";

/** What a steps record says: these records replace the steps' earlier ones (by step id). */
export interface StepsMeta {
  steps: StepRecord[];
  /**
   * A `repeat` step finished an iteration: its record as it is now (not completed, `iterations`
   * counting it), except that `history` holds only the attempts since the step's last record in the
   * journal, which it extends; the iteration's output goes with `key`. Only what is new, so that a
   * step of many iterations does not write its growing history again each time.
   */
  iterated?: StepRecord;
  /** The output key of the value that follows the meta in the record, if one does. */
  key?: string;
  /** A step paused: its approval request. */
  pending?: PendingApproval;
  /** When the record was made (epoch ms): the state's `savedAt`. */
  at?: number;
}

/** The header record of `state`: the run and every step record, without the outputs. */
export function headerRecord(state: SavedRunState, ids: SharedIds): Uint8Array[] {
  const { outputs: _outputs, ...header } = state;
  let parts: EncodedParts;
  try {
    parts = encodeParts(header);
  } catch (error) {
    const input = Object.entries(state.inputs).find(([, value]) => !encodes(value))?.[0];
    const what = input !== undefined ? `the input ${input}` : "the state";
    throw new TypeError(`${what} cannot be saved in a state file: ${(error as Error).message}`, { cause: error });
  }
  return encodeRecord(RecordType.header, [parts], ids);
}

/**
 * The payload of a steps record, in the two parts a writer frames (./journal-format.ts `recordParts`);
 * `output` (already encoded, as a step's output arrives from its worker) goes with `meta.key`.
 */
export function stepsRecordParts(meta: StepsMeta, output: EncodedParts | undefined, ids: SharedIds): { head: Uint8Array; tail: Uint8Array } {
  const values = [encodeParts(meta)];
  if (output !== undefined) values.push(output);
  return recordParts(values, ids);
}

/** The whole bytes of a steps record. */
export function stepsRecord(meta: StepsMeta, output: EncodedParts | undefined, ids: SharedIds): Uint8Array[] {
  const { head, tail } = stepsRecordParts(meta, output, ids);
  return [frameOf(RecordType.steps, head, tail), head, tail];
}

/**
 * The records of a whole state, one at a time: its header, then a record per output. Checks the
 * state's shape first and names an output that cannot be saved.
 */
export function* stateRecords(state: SavedRunState, ids: SharedIds): Generator<Uint8Array[]> {
  checkShape(state, "the state to save", (message) => new TypeError(message));
  yield headerRecord(state, ids);
  for (const [key, value] of state.outputs) {
    let parts: EncodedParts;
    try {
      parts = encodeParts(value);
    } catch (error) {
      throw new TypeError(`the output ${key} cannot be saved in a state file: ${(error as Error).message}`, { cause: error });
    }
    yield stepsRecord({ steps: [], key }, parts, ids);
  }
}

/** A journal read back: the state its whole records make, and where the last of them ends. */
export interface Replayed {
  state: SavedRunState;
  /** Bytes from the start of the file to the end of the last record that was replayed. */
  end: number;
}

/**
 * Replays a journal (its file header already checked; the caller checks the shape of the state). A
 * header record that is missing, cut short or damaged fails through `fail`; after the header, the first
 * record that is cut short, damaged or unreadable ends the state: a crash mid-write loses at most
 * the records being written.
 */
export function replayJournal(bytes: Buffer, fail: (why: string, cause?: unknown) => never): Replayed {
  const shared = new Map<number, SharedArrayBuffer>();
  const records = readRecords(bytes);
  const first = records.next();
  if (first.done) {
    return bytes.length < frameEnd(bytes, FILE_HEADER_LENGTH)
      ? fail(`is truncated (${bytes.length} bytes, its header record is incomplete)`)
      : fail("is damaged (the checksum of its header record does not match its contents)");
  }
  if (first.value.type !== RecordType.header) fail("does not start with a header record");
  let header: unknown;
  try {
    [header] = decodeRecordValues(first.value.payload, shared);
  } catch (error) {
    fail("cannot be decoded", error);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("has a header record that is not an object");
  const state = header as SavedRunState;
  state.outputs = new Map();
  let end = first.value.end;
  // A header of the wrong shape: the caller's shape check names the field.
  if (!Array.isArray(state.steps) || !Array.isArray(state.pendingApprovals)) return { state, end };
  const index = new Map(state.steps.map((record, i) => [(record as Partial<StepRecord> | null)?.stepId, i]));
  for (const record of records) {
    if (record.type === RecordType.header) break;
    if (record.type === RecordType.steps) {
      let values: unknown[];
      try {
        values = decodeRecordValues(record.payload, shared);
      } catch {
        break;
      }
      const meta = values[0] as Partial<StepsMeta> | null;
      if (typeof meta !== "object" || meta === null || !Array.isArray(meta.steps)) break;
      const put = (step: StepRecord): void => {
        const id = (step as Partial<StepRecord> | null)?.stepId;
        const at = index.get(id);
        if (at === undefined) index.set(id, state.steps.push(step) - 1);
        else state.steps[at] = step;
      };
      for (const step of meta.steps) put(step);
      if (meta.iterated !== undefined) {
        const step = meta.iterated as Partial<StepRecord> | null;
        if (typeof step !== "object" || step === null || !Array.isArray(step.history)) break;
        const earlier = state.steps[index.get(step.stepId) ?? -1]?.history;
        if (Array.isArray(earlier)) earlier.push(...step.history);
        put({ ...step, history: Array.isArray(earlier) ? earlier : step.history } as StepRecord);
      }
      if (typeof meta.key === "string") state.outputs.set(meta.key, values[1]);
      if (meta.pending !== undefined) state.pendingApprovals.push(meta.pending);
      if (typeof meta.at === "number") state.savedAt = meta.at;
    }
    // A type this wavepool does not know is a later version's record that only saves work: skipped.
    end = record.end;
  }
  return { state, end };
}

function encodes(value: unknown): boolean {
  try {
    encodeParts(value);
    return true;
  } catch {
    return false;
  }
}
