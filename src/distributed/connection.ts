// How wavepool reaches Redis: a `redis://` / `rediss://` URL or ioredis options, turned into ioredis
// clients, and a probe that tells within seconds whether the server answers at all (BullMQ's own
// connections retry forever, which would leave a run waiting with nothing said).
import { Redis, type RedisOptions } from "ioredis";
import { BackendUnavailableError } from "../errors.js";

/** A Redis URL (`redis://user:password@host:6379/0`, `rediss://` for TLS) or ioredis options. */
export type RedisConnection = string | RedisOptions;

/** How long the probe waits for the server's answer. */
export const PROBE_TIMEOUT_MS = 3_000;

/** A client for BullMQ: commands wait while it reconnects (BullMQ requires `maxRetriesPerRequest: null`). */
export function redisClient(connection: RedisConnection): Redis {
  const options: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true };
  return typeof connection === "string" ? new Redis(connection, options) : new Redis({ ...connection, ...options });
}

/** The server `connection` names, fit for a message: its password masked. */
export function describeConnection(connection: RedisConnection): string {
  if (typeof connection !== "string") {
    const { host = "127.0.0.1", port = 6379, tls } = connection;
    return `${tls ? "rediss" : "redis"}://${host}:${port}`;
  }
  try {
    const url = new URL(connection);
    if (url.password !== "") url.password = "***";
    return url.toString();
  } catch {
    return connection;
  }
}

/** Resolves once the server answers a PING; rejects with `BackendUnavailableError` naming it otherwise. */
export async function probe(connection: RedisConnection, timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  const options: RedisOptions = {
    lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null,
  };
  const client = typeof connection === "string" ? new Redis(connection, options) : new Redis({ ...connection, ...options });
  // A refused connection is told through connect()'s rejection; the event must not go unheard.
  client.on("error", () => undefined);
  const url = describeConnection(connection);
  let timer: NodeJS.Timeout | undefined;
  try {
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([client.connect().then(() => client.ping()), late]);
  } catch (error) {
    throw new BackendUnavailableError(
      `Redis at ${url} cannot be reached (${(error as Error)?.message ?? String(error)}); start it, or check the URL given to redisBackend / --redis / WAVEPOOL_REDIS_URL`,
      { url, cause: error },
    );
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
