// What a worker says about its Redis connections: each of them (the store, the cancel listener,
// BullMQ's, an approval's wait) retries on its own every few hundred ms to 2 s while the server is
// down, and each try is an error event. Printing them all buried the one thing to know, that Redis
// was lost and then came back; a notice says that once each way.
import type { Redis } from "ioredis";

/** Messages of errors that mean the server cannot be reached (not that it refused a command). */
const UNREACHABLE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|Connection is closed|Stream isn't writeable/;

export class OutageNotice {
  readonly #url: string;
  readonly #warn: (message: string) => void;
  /** Errors heard since the server was lost; undefined while it is reachable. */
  #missed: number | undefined;

  constructor(url: string, warn: (message: string) => void) {
    this.#url = url;
    this.#warn = warn;
  }

  /** Hears `client`'s errors, and its reconnections. */
  watch(client: Redis): void {
    client.on("error", (error: Error) => this.error(error));
    client.on("ready", () => this.ready());
  }

  /** An error of a Redis client (or of BullMQ's worker): said once per outage, else as it is. */
  error(error: Error): void {
    const message = error?.message ?? String(error);
    if (this.#missed !== undefined) {
      this.#missed++;
      return;
    }
    if (!UNREACHABLE.test(message)) return this.#warn(`Redis: ${message}`);
    this.#missed = 0;
    this.#warn(`lost Redis at ${this.#url} (${message}); reconnecting, running steps go on`);
  }

  /** A client is connected (again): the server is back, if it was lost. */
  ready(): void {
    if (this.#missed === undefined) return;
    const missed = this.#missed;
    this.#missed = undefined;
    this.#warn(`Redis at ${this.#url} is back${missed > 0 ? ` (${missed} more connection errors while it was away)` : ""}`);
  }
}
