// `--redis URL` / `--queue NAME` of `wavepool run`, and `WAVEPOOL_REDIS_URL` as the default URL: the
// distributed backend, loaded only when asked for (bullmq and ioredis are optional).
import type { ParallelOrchestratorConfig } from "../run/config.js";
import { UsageError } from "./cli-errors.js";

/** The Redis URL a command uses: `--redis`, else `WAVEPOOL_REDIS_URL`, else none. */
export function redisUrl(flag: string | undefined): string | undefined {
  const url = flag ?? (process.env.WAVEPOOL_REDIS_URL || undefined);
  return url;
}

/** Checks a Redis URL as a usage error of `command`. */
export function checkRedisUrl(url: string, command: string): void {
  if (!/^rediss?:\/\//.test(url)) throw new UsageError(`--redis expects a redis:// or rediss:// URL, got ${JSON.stringify(url)}`, command);
}

/** `config` with the Redis backend when a URL is given (`--queue` without one is a usage error). */
export async function withRedis(config: ParallelOrchestratorConfig, flag: string | undefined, queue: string | undefined, command: string): Promise<ParallelOrchestratorConfig> {
  const url = redisUrl(flag);
  if (url === undefined) {
    if (queue !== undefined) throw new UsageError("--queue needs --redis URL (or WAVEPOOL_REDIS_URL)", command);
    return config;
  }
  checkRedisUrl(url, command);
  const { redisBackend } = await loadDistributed(command);
  return config.withBackend(redisBackend({ connection: url, ...(queue !== undefined ? { queue } : {}) }));
}

/** wavepool/distributed, or a usage error saying what to install when bullmq or ioredis is missing. */
export async function loadDistributed(command: string): Promise<typeof import("../distributed/index.js")> {
  try {
    return await import("../distributed/index.js");
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === "ERR_MODULE_NOT_FOUND") {
      throw new UsageError(`distributed runs need bullmq and ioredis: npm install bullmq ioredis (${(error as Error).message})`, command);
    }
    throw error;
  }
}
