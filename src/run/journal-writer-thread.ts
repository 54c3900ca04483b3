// The journal writer thread (see ./journal-writer.ts): frames each record with its checksum and
// writes it where the main thread placed it; records of one journal that arrive together go in one
// write. Every batch is answered with the last record written, or the error that stopped it.
import { writevSync } from "node:fs";
import { parentPort, receiveMessageOnPort } from "node:worker_threads";
import { frameOf, recordLength } from "./journal-format.js";
import type { WriteRecord, WriterReply, WriterRequest } from "./journal-writer.js";

if (parentPort === null) throw new Error("journal-writer-thread runs in a worker thread");
const port = parentPort;
/** Journals whose write failed: their later records are answered, not written. */
const failed = new Map<number, WriterReply["error"]>();

port.on("message", (first: WriterRequest) => {
  const requests = [first];
  for (let more = receiveMessageOnPort(port); more !== undefined; more = receiveMessageOnPort(port)) requests.push(more.message as WriterRequest);
  let batch: WriteRecord[] = [];
  for (const request of requests) {
    if ("forget" in request) {
      write(batch);
      batch = [];
      failed.delete(request.journal);
      continue;
    }
    const last = batch.at(-1);
    if (last !== undefined && (last.journal !== request.journal || last.position + length(last) !== request.position)) {
      write(batch);
      batch = [];
    }
    batch.push(request);
  }
  write(batch);
});

function write(batch: WriteRecord[]): void {
  const last = batch.at(-1);
  if (last === undefined) return;
  const end = last.position + length(last);
  const reply: WriterReply = { journal: last.journal, upTo: last.seq, end };
  const error = failed.get(last.journal);
  if (error !== undefined) return port.postMessage({ ...reply, error });
  const chunks: Uint8Array[] = [];
  for (const { type, head, tail } of batch) chunks.push(frameOf(type, head, tail), head, tail);
  try {
    const bytes = end - batch[0]!.position;
    const written = writevSync(last.fd, chunks, batch[0]!.position);
    if (written !== bytes) throw new Error(`only ${written} of ${bytes} bytes were written`);
    port.postMessage(reply);
  } catch (thrown) {
    const { name, message, code } = thrown as NodeJS.ErrnoException;
    const info = { name: String(name), message: String(message), ...(typeof code === "string" ? { code } : {}) };
    failed.set(last.journal, info);
    port.postMessage({ ...reply, error: info });
  }
}

function length(record: WriteRecord): number {
  return recordLength(record.head, record.tail);
}
