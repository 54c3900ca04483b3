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
    // Not a URL Node parses: whatever stands before an "@" may be a password.
    return connection.replace(/\/\/[^/]*@/, "//***@");
  }
}

/**
 * Resolves once the server answers a PING; rejects with `BackendUnavailableError` naming it otherwise,
 * with the reason the server or TLS gave (a refused password, an untrusted certificate) and what to do.
 */
export async function probe(connection: RedisConnection, timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  const options: RedisOptions = {
    lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null,
  };
  const client = typeof connection === "string" ? new Redis(connection, options) : new Redis({ ...connection, ...options });
  // What went wrong is told through the "error" event (connect() only says "Connection is closed.").
  let heard: Error | undefined;
  client.on("error", (error: Error) => (heard ??= error));
  const url = describeConnection(connection);
  let timer: NodeJS.Timeout | undefined;
  try {
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([client.connect().then(() => client.ping()), late]);
  } catch (error) {
    const reason = heard ?? (error as Error);
    throw new BackendUnavailableError(`Redis at ${url} cannot be reached (${reason?.message ?? String(reason)}); ${advice(reason)}`, { url, cause: safeCause(reason) });
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}

/** Codes of a TLS certificate Node does not trust (node:tls, from OpenSSL). */
const UNTRUSTED = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_GET_ISSUER_CERT", "CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID", "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** What to do about `reason`. */
function advice(reason: Error | undefined): string {
  const code = (reason as NodeJS.ErrnoException | undefined)?.code;
  if (/^(WRONGPASS|NOAUTH)\b/.test(reason?.message ?? "")) return "the server refused the credentials: check the password (and user) in the URL or options";
  if (code !== undefined && UNTRUSTED.has(code)) {
    return "its TLS certificate is not trusted here: trust its CA with NODE_EXTRA_CA_CERTS=ca.pem (read when node starts, for a URL), or pass ioredis options with tls: { ca }";
  }
  return "start it, or check the URL given to redisBackend / --redis / WAVEPOOL_REDIS_URL";
}

/**
 * `reason` without what it carries beyond its name, message and code: a reply error of ioredis keeps
 * the command it answered, and the AUTH / HELLO of a connection has the password in its arguments.
 */
function safeCause(reason: unknown): Error {
  if (!(reason instanceof Error)) return new Error(String(reason));
  const clean = new Error(reason.message);
  clean.name = reason.name;
  const code = (reason as NodeJS.ErrnoException).code;
  if (typeof code === "string") Object.assign(clean, { code });
  return clean;
}
