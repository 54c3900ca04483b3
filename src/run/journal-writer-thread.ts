// The journal writer thread (see ./journal-writer.ts): frames each record with its checksums and
// writes it where the main thread placed it. Records are framed as they arrive while the write
// before them is in flight (on libuv's threads), so checksums and the kernel's copy overlap; records
// of one journal that wait together go in one write. Every write is answered with the last record it
// wrote, or the error that stopped the journal.
import { writev } from "node:fs";
import { parentPort } from "node:worker_threads";
import { frameOf, recordLength } from "./journal-format.js";
import type { WriteRecord, WriterReply, WriterRequest } from "./journal-writer.js";

if (parentPort === null) throw new Error("journal-writer-thread runs in a worker thread");
const port = parentPort;

/** Records framed and waiting for the disk, in order: their chunks, ready for writev. */
const ready: { record: WriteRecord; chunks: Uint8Array[] }[] = [];
let writing = false;
/** Journals whose write failed: their later records are answered, not written. */
const failed = new Map<number, WriterReply["error"]>();

port.on("message", (request: WriterRequest) => {
  if ("forget" in request) {
    failed.delete(request.journal);
    return;
  }
  ready.push({ record: request, chunks: [frameOf(request.type, request.head, request.tail), request.head, request.tail] });
  write();
});

/** Writes the records that wait, the longest run of one journal's contiguous records at once. */
function write(): void {
  const first = ready[0];
  if (writing || first === undefined) return;
  const { journal, fd, position } = first.record;
  let end = position;
  let count = 0;
  const chunks: Uint8Array[] = [];
  for (const { record, chunks: parts } of ready) {
    if (record.journal !== journal || record.position !== end) break;
    chunks.push(...parts);
    end += recordLength(record.head, record.tail);
    count++;
  }
  const upTo = ready[count - 1]!.record.seq;
  ready.splice(0, count);
  const reply: WriterReply = { journal, upTo, end };
  const error = failed.get(journal);
  if (error !== undefined) {
    port.postMessage({ ...reply, error });
    return write();
  }
  writing = true;
  writev(fd, chunks, position, (thrown, written) => {
    writing = false;
    const failure = thrown ?? (written !== end - position ? new Error(`only ${written} of ${end - position} bytes were written`) : undefined);
    if (failure === undefined) {
      port.postMessage(reply);
    } else {
      const { name, message, code } = failure as NodeJS.ErrnoException;
      const info = { name: String(name), message: String(message), ...(typeof code === "string" ? { code } : {}) };
      failed.set(journal, info);
      port.postMessage({ ...reply, error: info });
    }
    write();
  });
}
