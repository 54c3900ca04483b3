// The calls a remote step's agent makes (ctx.log, ctx.progress, ctx.emit, approval requests, stray
// errors) on their way back to the coordinator: a Redis stream per run. The worker appends each call,
// in order, as the bytes of ../pool/value-codec.ts (a Map, a Date, a BigInt arrive as they left); the
// coordinator reads the stream on a connection of its own, and applies a job's end only once it has
// read up to the job's last entry, so every call of an attempt is reported before its `step:end`.
import type { Redis } from "ioredis";
import type { ApprovalRequest } from "../agent.js";
import type { LogLevel, StrayError } from "../pool/protocol.js";
import { decodeValue, encodeValue } from "../pool/value-codec.js";

/** One call of an agent, tagged with its attempt (the job names the run and the unit). */
export type ForwardedCall =
  | ["log", number, LogLevel, string, Record<string, unknown> | undefined]
  | ["progress", number, number, string | undefined]
  | ["output", number, unknown]
  /** Request `n` (0, 1, ...) of the job's agent: its answer comes back at `answerKey(queue, jobId, n)`. */
  | ["approval", number, number, ApprovalRequest]
  | ["stray", number, StrayError];

/** Entries a run's stream keeps at most (about: trimmed with `~`). */
export const CALLS_MAXLEN = 10_000;
/** How long the coordinator waits for a job's calls it has not read yet before applying its end anyway. */
export const DRAIN_TIMEOUT_MS = 5_000;

/** The worker's side, for one job: `send` appends in call order; `flushed` resolves once all are written. */
export interface CallSender {
  /** False if the call cannot be encoded (it was not sent, a warning says why). */
  send(call: ForwardedCall): boolean;
  /** The id of the job's last entry written, once every entry sent is written (undefined: none). */
  flushed(): Promise<string | undefined>;
}

export function callSender(client: Redis, key: string, jobId: string, ttlMs: number, warn: (message: string) => void): CallSender {
  const writes: Promise<void>[] = [];
  let last: string | undefined;
  return {
    send(call) {
      let bytes: Buffer;
      try {
        bytes = encodeValue(call);
      } catch (error) {
        warn(`a ${call[0]} call of job ${jobId} cannot be sent to the coordinator: ${(error as Error)?.message ?? String(error)}`);
        return false;
      }
      // Commands on one connection run in the order they are sent: entries keep the calls' order.
      writes.push(client.xadd(key, "MAXLEN", "~", CALLS_MAXLEN, "*", "j", jobId, "c", bytes).then(
        (id) => void (id !== null && (last = id)),
        (error: unknown) => warn(`a ${call[0]} call of job ${jobId} was not sent to the coordinator: ${(error as Error)?.message ?? String(error)}`),
      ));
      // A stream whose coordinator is gone does not stay forever.
      if (writes.length === 1) client.pexpire(key, ttlMs).catch(() => undefined);
      return true;
    },
    async flushed() {
      await Promise.all(writes);
      // Again at the end: a job whose run ended before it (its worker was stopped, then went on) may
      // have written to a stream its coordinator had already deleted, which the first expiry left.
      if (writes.length > 1) await client.pexpire(key, ttlMs).catch(() => undefined);
      return last;
    },
  };
}

/** The coordinator's side, for one run: reads its stream from the start and hands each call on. */
export class CallReader {
  readonly #client: Redis;
  readonly #key: string;
  readonly #deliver: (jobId: string, call: ForwardedCall) => void;
  #last: EntryId = [0, 0];
  #closed = false;
  readonly #waiters = new Set<{ until: EntryId; done(): void }>();

  /** `client` is the reader's own: its reads block. */
  constructor(client: Redis, key: string, deliver: (jobId: string, call: ForwardedCall) => void) {
    this.#client = client;
    this.#key = key;
    this.#deliver = deliver;
    void this.#loop();
  }

  /** Resolves once every entry up to `id` has been handed on (at once for none; after a while at worst). */
  reached(id: string | undefined): Promise<void> {
    if (id === undefined || this.#closed) return Promise.resolve();
    const until = parseId(id);
    if (compareIds(this.#last, until) >= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        until,
        done: () => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.done, DRAIN_TIMEOUT_MS);
      timer.unref();
      this.#waiters.add(waiter);
    });
  }

  close(): void {
    this.#closed = true;
    for (const waiter of [...this.#waiters]) waiter.done();
    this.#client.disconnect();
  }

  async #loop(): Promise<void> {
    while (!this.#closed) {
      let reply: [Buffer, [Buffer, Buffer[]][]][] | null;
      try {
        // ioredis answers in the RESP2 shape, whatever protocol the connection speaks.
        reply = (await this.#client.xreadBuffer("COUNT", 1000, "BLOCK", 0, "STREAMS", this.#key, this.#last.join("-"))) as typeof reply;
      } catch {
        // Disconnected by close(), or a failed read (ioredis reconnects): read again from the same place.
        if (this.#closed) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (this.#closed) return;
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          this.#last = parseId(id.toString());
          const call = entryCall(fields);
          if (call !== undefined) this.#deliver(call.jobId, call.call);
        }
      }
      for (const waiter of [...this.#waiters]) if (compareIds(this.#last, waiter.until) >= 0) waiter.done();
    }
  }
}

function entryCall(fields: Buffer[]): { jobId: string; call: ForwardedCall } | undefined {
  let jobId: string | undefined;
  let bytes: Buffer | undefined;
  for (let k = 0; k + 1 < fields.length; k += 2) {
    const name = fields[k]!.toString();
    if (name === "j") jobId = fields[k + 1]!.toString();
    else if (name === "c") bytes = fields[k + 1];
  }
  if (jobId === undefined || bytes === undefined) return undefined;
  try {
    return { jobId, call: decodeValue(bytes) as ForwardedCall };
  } catch {
    return undefined;
  }
}

type EntryId = [number, number];

function parseId(id: string): EntryId {
  const dash = id.indexOf("-");
  return dash < 0 ? [Number(id), 0] : [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}

function compareIds(a: EntryId, b: EntryId): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}
