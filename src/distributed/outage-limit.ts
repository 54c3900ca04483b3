// How long a coordinator waits for a Redis server it lost. ioredis (and BullMQ on it) reconnect by
// themselves and commands wait meanwhile, so without a bound a run waits through an outage of any
// length with nothing said. This hears a connection of the backend lose the server and get it back,
// and tells once the server has been unreachable for longer than the limit, every outage.
import type { Redis } from "ioredis";

export class OutageLimit {
  /** The limit (ms); Infinity waits forever. */
  readonly timeoutMs: number;
  readonly #onExpired: () => void;
  #timer: NodeJS.Timeout | undefined;
  /** When the server was lost, while it is. */
  #since: number | undefined;
  #expired = false;
  /** Woken when the limit expires. */
  readonly #waiting = new Set<() => void>();

  /** `timeoutMs`: 0 or Infinity wait forever. `onExpired` is called each time an outage outlasts it. */
  constructor(timeoutMs: number, onExpired: () => void) {
    this.timeoutMs = timeoutMs === 0 ? Infinity : timeoutMs;
    this.#onExpired = onExpired;
  }

  /** Hears `client` lose the server (ioredis retries: "reconnecting") and get it back ("ready"). */
  watch(client: Redis): void {
    client.on("reconnecting", () => this.#lost());
    client.on("ready", () => this.#back());
  }

  /** Whether the server is unreachable now, for longer than the limit. */
  get expired(): boolean {
    return this.#expired;
  }

  /** How long the server has been unreachable (ms), 0 while it is reachable. */
  downForMs(): number {
    return this.#since === undefined ? 0 : Date.now() - this.#since;
  }

  /**
   * Settles as `work` does, or resolves once the server has been unreachable for longer than the limit
   * (at once if it is), whichever comes first: work that waits for the server waits no longer.
   */
  async bound(work: Promise<void>): Promise<void> {
    if (this.#expired) return;
    let wake: (() => void) | undefined;
    const expired = new Promise<void>((resolve) => this.#waiting.add((wake = resolve)));
    try {
      await Promise.race([work, expired]);
    } finally {
      this.#waiting.delete(wake!);
    }
  }

  /** Stops listening for the limit (the backend is closing: its own disconnects are no outage). */
  stop(): void {
    this.#back();
  }

  #lost(): void {
    if (this.#since !== undefined) return;
    this.#since = Date.now();
    if (this.timeoutMs === Infinity) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#expired = true;
      for (const wake of [...this.#waiting]) wake();
      this.#waiting.clear();
      this.#onExpired();
    }, this.timeoutMs);
    // An idle backend waiting for its server keeps no process alive.
    this.#timer.unref();
  }

  #back(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#since = undefined;
    this.#expired = false;
  }
}
