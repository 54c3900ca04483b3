// The main-thread side of the journal writer: one thread per process (./journal-writer-thread.ts),
// started with the first state journal and kept (unreferenced) for the next, that checksums records
// and writes them, so that a step's output is written without a pass over its bytes on the main
// thread. Records move to it without a copy; every write is answered, in order, per journal.
import { Worker } from "node:worker_threads";

/** A record to write at `position` of the file `fd`; `seq` numbers the journal's records from 1. */
export interface WriteRecord {
  journal: number;
  fd: number;
  position: number;
  seq: number;
  type: number;
  head: Uint8Array;
  tail: Uint8Array;
}

/** A journal is done with the writer: forget it. */
export interface ForgetJournal {
  journal: number;
  forget: true;
}

export type WriterRequest = WriteRecord | ForgetJournal;

/**
 * The records of a journal up to `upTo` are written and the file's good part ends at `end`; or, with
 * `error`, a write of that journal failed (and its later records were not written).
 */
export interface WriterReply {
  journal: number;
  upTo: number;
  end: number;
  error?: { name: string; message: string; code?: string };
}

const ENTRY = new URL("./journal-writer-thread.js", import.meta.url);

type Listener = (reply: WriterReply) => void;

export class JournalWriter {
  static #shared: JournalWriter | undefined;
  readonly #worker: Worker;
  readonly #journals = new Map<number, Listener>();
  #next = 0;

  /** The process's writer thread, started if there is none (or the last one died). */
  static shared(): JournalWriter {
    return (JournalWriter.#shared ??= new JournalWriter());
  }

  private constructor() {
    this.#worker = new Worker(ENTRY, { name: "wavepool state journal" });
    this.#worker.unref();
    this.#worker.on("message", (reply: WriterReply) => this.#journals.get(reply.journal)?.(reply));
    // The thread died (it should not): every journal learns its pending writes failed; the next gets a new thread.
    const died = (error: Error): void => {
      if (JournalWriter.#shared === this) JournalWriter.#shared = undefined;
      const info = { name: error.name, message: `the state journal's writer thread stopped: ${error.message}` };
      for (const [journal, listener] of this.#journals) listener({ journal, upTo: Infinity, end: -1, error: info });
      this.#journals.clear();
    };
    this.#worker.on("error", died);
    this.#worker.on("exit", (code) => died(new Error(`it exited with code ${code}`)));
  }

  /** A new journal: its replies go to `listener`. The thread keeps the process alive while it has journals. */
  open(listener: Listener): number {
    const journal = ++this.#next;
    if (this.#journals.size === 0) this.#worker.ref();
    this.#journals.set(journal, listener);
    return journal;
  }

  /**
   * Sends a record. Its head, made for the journal, is moved to the thread when it can be (detached
   * here). Its tail is a step's output as it crossed from the worker, the very bytes its readers are
   * handed: it is copied (under 64 KiB) or shared (in shared memory from there on), never moved.
   */
  write(record: WriteRecord): void {
    this.#worker.postMessage(record satisfies WriterRequest, movable(record.head) ? [record.head.buffer as ArrayBuffer] : []);
  }

  /** The journal is closed: no more replies for it. */
  close(journal: number): void {
    if (!this.#journals.delete(journal)) return;
    this.#worker.postMessage({ journal, forget: true } satisfies WriterRequest);
    if (this.#journals.size === 0) this.#worker.unref();
  }
}

/** A view that is the whole of a plain ArrayBuffer: moving the buffer moves exactly the view. */
function movable(view: Uint8Array): boolean {
  return view.buffer instanceof ArrayBuffer && view.byteOffset === 0 && view.byteLength === view.buffer.byteLength;
}
