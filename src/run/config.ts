// ParallelOrchestratorConfig: immutable settings of an orchestrator. Every `with*` checks its
// argument at once (RangeError/TypeError naming the option and the value) and returns a new config.
import type { Piscina } from "piscina";
import type winston from "winston";
import { SCHEDULING_MODES, type Scheduling } from "../schedule/scheduling.js";
import type { PoolOptions } from "../pool/worker-pool.js";
import type { Backend } from "./attempt-runner.js";

/**
 * The longest delay Node's timers take (2^31 - 1 ms, about 24.8 days). A longer one is not an
 * error to `setTimeout`: it fires after 1 ms instead, so every timeout and backoff is checked against it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * What `withTracer` needs of an OpenTelemetry `Tracer` (from `@opentelemetry/api`, an optional peer
 * dependency: a program that traces has it, one that does not need not install it).
 */
export interface OpenTelemetryTracer {
  startSpan(name: string, options?: object, context?: object): object;
}

/** Retry policy: `attempts` counts every try (1 = no retry). */
export interface RetryPolicy {
  /** Tries in all, first one included. @default 1 */
  attempts: number;
  /** Delay before the first retry, 0 to 2^31 - 1; doubles each retry, with jitter. @default 100 */
  backoffMs: number;
  /** Upper bound of the delay, 0 to 2^31 - 1. @default 30000 */
  maxBackoffMs: number;
}

/** The plain-object form accepted by `new ParallelOrchestrator(strategy, options)`. */
export interface ParallelOrchestratorOptions {
  stepTimeoutMs?: number | null;
  maxConcurrentTasks?: number | null;
  scheduling?: Scheduling;
  failFast?: boolean;
  retries?: Partial<RetryPolicy>;
  logger?: winston.Logger;
  pool?: Piscina;
  threads?: number;
  resourceLimits?: PoolOptions["resourceLimits"];
  tracer?: OpenTelemetryTracer;
  agentLoadTimeoutMs?: number;
  cancelGraceMs?: number;
  /** See `withStateSync`. */
  stateSyncMs?: number | false;
  /** See `withBackend`. */
  backend?: Backend;
}

interface Settings {
  stepTimeoutMs: number | null;
  maxConcurrentTasks: number | null;
  scheduling: Scheduling;
  failFast: boolean;
  retries: RetryPolicy;
  logger: winston.Logger | undefined;
  pool: Piscina | undefined;
  threads: number | undefined;
  resourceLimits: PoolOptions["resourceLimits"] | undefined;
  tracer: OpenTelemetryTracer | undefined;
  agentLoadTimeoutMs: number;
  cancelGraceMs: number;
  stateSyncMs: number | false;
  backend: Backend | undefined;
}

const DEFAULTS: Settings = {
  stepTimeoutMs: null,
  maxConcurrentTasks: null,
  scheduling: "eager",
  failFast: false,
  retries: { attempts: 1, backoffMs: 100, maxBackoffMs: 30_000 },
  logger: undefined,
  pool: undefined,
  threads: undefined,
  resourceLimits: undefined,
  tracer: undefined,
  agentLoadTimeoutMs: 60_000,
  cancelGraceMs: 250,
  stateSyncMs: false,
  backend: undefined,
};

/**
 * Settings of a `ParallelOrchestrator`.
 * @example
 * const config = new ParallelOrchestratorConfig().withStepTimeout(30_000).withMaxConcurrentTasks(4);
 */
export class ParallelOrchestratorConfig {
  readonly #s: Settings;

  constructor(settings: Partial<Settings> = {}) {
    this.#s = Object.freeze({ ...DEFAULTS, ...settings });
  }

  /** Builds a config from the plain options object, checking each field. */
  static from(options: ParallelOrchestratorOptions | ParallelOrchestratorConfig = {}): ParallelOrchestratorConfig {
    if (options instanceof ParallelOrchestratorConfig) return options;
    let c = new ParallelOrchestratorConfig();
    // Named as the options object names it, so the message points at the field the caller wrote.
    if (options.stepTimeoutMs != null) c = c.#with({ stepTimeoutMs: timerDelay("stepTimeoutMs", options.stepTimeoutMs, 1) });
    if (options.maxConcurrentTasks != null) c = c.withMaxConcurrentTasks(options.maxConcurrentTasks);
    if (options.scheduling !== undefined) c = c.withScheduling(options.scheduling);
    if (options.failFast !== undefined) c = c.withFailFast(options.failFast);
    if (options.retries !== undefined) c = c.withRetries(options.retries);
    if (options.logger !== undefined) c = c.withLogger(options.logger);
    if (options.pool !== undefined) c = c.withPool(options.pool);
    if (options.threads !== undefined) c = c.withThreads(options.threads);
    if (options.resourceLimits !== undefined) c = c.withResourceLimits(options.resourceLimits);
    if (options.tracer !== undefined) c = c.withTracer(options.tracer);
    if (options.agentLoadTimeoutMs !== undefined) c = c.withAgentLoadTimeout(options.agentLoadTimeoutMs);
    if (options.cancelGraceMs !== undefined) c = c.withCancelGrace(options.cancelGraceMs);
    if (options.stateSyncMs !== undefined) c = c.withStateSync(options.stateSyncMs);
    if (options.backend !== undefined) c = c.withBackend(options.backend);
    return c;
  }

  #with(patch: Partial<Settings>): ParallelOrchestratorConfig {
    return new ParallelOrchestratorConfig({ ...this.#s, ...patch });
  }

  /**
   * Every step times out after `ms`, an integer from 1 to 2^31 - 1, Node's timer maximum (a step's own `timeoutMs` wins).
   * @default no timeout
   */
  withStepTimeout(ms: number): ParallelOrchestratorConfig {
    return this.#with({ stepTimeoutMs: timerDelay("stepTimeout", ms, 1) });
  }

  /** No step timeout (the default). */
  withNoTimeout(): ParallelOrchestratorConfig {
    return this.#with({ stepTimeoutMs: null });
  }

  /** At most `n` steps of one run in flight at once. @default the pool's thread count */
  withMaxConcurrentTasks(n: number): ParallelOrchestratorConfig {
    return this.#with({ maxConcurrentTasks: positiveInteger("maxConcurrentTasks", n) });
  }

  /** No limit of our own: every ready step is handed to the pool, which queues what it cannot run. */
  withUnlimitedConcurrency(): ParallelOrchestratorConfig {
    return this.#with({ maxConcurrentTasks: Infinity });
  }

  /** `"eager"` (critical path first, no barrier) or `"waves"` (strict level barrier). @default "eager" */
  withScheduling(mode: Scheduling): ParallelOrchestratorConfig {
    if (!SCHEDULING_MODES.includes(mode)) {
      throw new TypeError(`Expected \`scheduling\` to be "eager" or "waves", got ${JSON.stringify(mode)} (${typeof mode})`);
    }
    return this.#with({ scheduling: mode });
  }

  /** Abort the whole run at the first failed step. @default false */
  withFailFast(failFast = true): ParallelOrchestratorConfig {
    if (typeof failFast !== "boolean") throw new TypeError(`Expected \`failFast\` to be a boolean, got ${typeof failFast}`);
    return this.#with({ failFast });
  }

  /**
   * Retry failed, timed-out and crashed steps with exponential backoff and jitter.
   * @example config.withRetries({ attempts: 3, backoffMs: 200 })
   */
  withRetries(policy: Partial<RetryPolicy>): ParallelOrchestratorConfig {
    if (typeof policy !== "object" || policy === null) throw new TypeError("Expected `retries` to be { attempts, backoffMs, maxBackoffMs? }");
    const next = { ...this.#s.retries, ...policy };
    positiveInteger("retries.attempts", next.attempts);
    timerDelay("retries.backoffMs", next.backoffMs, 0);
    timerDelay("retries.maxBackoffMs", next.maxBackoffMs, 0);
    return this.#with({ retries: Object.freeze(next) });
  }

  /** Log to this winston logger instead of the default (JSON on stderr, level `warn`). */
  withLogger(logger: winston.Logger): ParallelOrchestratorConfig {
    if (typeof logger?.log !== "function") throw new TypeError("Expected `logger` to be a winston logger");
    return this.#with({ logger });
  }

  /** Run on this Piscina pool (it stays the caller's: `close()` does not destroy it). */
  withPool(pool: Piscina): ParallelOrchestratorConfig {
    if (typeof (pool as { run?: unknown })?.run !== "function") throw new TypeError("Expected `pool` to be a Piscina instance");
    return this.#with({ pool });
  }

  /** Threads of the orchestrator's own pool. @default os.availableParallelism() */
  withThreads(n: number): ParallelOrchestratorConfig {
    return this.#with({ threads: positiveInteger("threads", n) });
  }

  /** Heap limits of each worker; a step that exceeds them fails with `WorkerCrashedError`. */
  withResourceLimits(limits: NonNullable<PoolOptions["resourceLimits"]>): ParallelOrchestratorConfig {
    if (typeof limits !== "object" || limits === null) throw new TypeError("Expected `resourceLimits` to be an object");
    for (const [key, value] of Object.entries(limits)) positiveInteger(`resourceLimits.${key}`, value as number);
    return this.#with({ resourceLimits: Object.freeze({ ...limits }) });
  }

  /**
   * Trace runs with OpenTelemetry: a span per run (`wavepool.run`), per wave and per step attempt,
   * with runId, stepId, agent, wave, threadId and attempt attributes. Without a tracer, no cost.
   * @example config.withTracer(trace.getTracer("my-app"))
   */
  withTracer(tracer: OpenTelemetryTracer): ParallelOrchestratorConfig {
    if (typeof (tracer as { startSpan?: unknown })?.startSpan !== "function") {
      throw new TypeError("Expected `tracer` to be an OpenTelemetry Tracer (with startSpan)");
    }
    return this.#with({ tracer });
  }

  /**
   * How long importing an agent module may take, in preflight and on a fresh thread. A module whose
   * top-level `await` never settles, or that busy-loops at its top level, fails with `AgentLoadError`
   * and its thread is terminated.
   * @default 60000
   * @example config.withAgentLoadTimeout(10_000)
   */
  withAgentLoadTimeout(ms: number): ParallelOrchestratorConfig {
    return this.#with({ agentLoadTimeoutMs: timerDelay("agentLoadTimeout", ms, 1) });
  }

  /**
   * How long a cancelled step's agent has to stop on its own once its `ctx.signal` aborts, before
   * its thread is terminated. 0 terminates at once.
   * @default 250
   */
  withCancelGrace(ms: number): ParallelOrchestratorConfig {
    return this.#with({ cancelGraceMs: timerDelay("cancelGrace", ms, 0) });
  }

  /**
   * Whether a state file (`saveStateTo`) is synced to the disk as the run goes: at most every
   * `intervalMs` in the background, and once more before the run resolves. By default it is not:
   * every step's record reaches the kernel before its end is reported, which is what survives
   * `kill -9`, a crash or running out of memory; the operating system writes it to the disk within
   * its own delay (about 30 s on Linux). Sync when the state must also survive a power cut or a
   * kernel crash at any moment; on a run that saves large outputs, it is what costs most (the run
   * waits for the disk). Whatever a sync misses, the file still reads up to its last whole record.
   * @default false
   * @example config.withStateSync(100)
   */
  withStateSync(intervalMs: number | false): ParallelOrchestratorConfig {
    return this.#with({ stateSyncMs: intervalMs === false ? false : timerDelay("stateSync", intervalMs, 0) });
  }

  /**
   * Runs steps on a backend instead of the orchestrator's own threads: the orchestrator still keeps
   * the graph, the scheduler, the state file and the result; the backend executes each attempt.
   * `close()` closes it. Without one (the default) steps run on local worker threads.
   * @default undefined (local threads)
   * @example
   * import { redisBackend } from "wavepool/distributed";
   * config.withBackend(redisBackend({ connection: "redis://127.0.0.1:6379", queue: "wavepool" }))
   */
  withBackend(backend: Backend): ParallelOrchestratorConfig {
    const b = backend as Partial<Backend> | null;
    if (typeof b?.open !== "function" || typeof b.close !== "function") {
      throw new TypeError("Expected `backend` to be a backend such as redisBackend() from wavepool/distributed");
    }
    return this.#with({ backend });
  }

  get backend(): Backend | undefined { return this.#s.backend; }
  get stateSyncMs(): number | false { return this.#s.stateSyncMs; }
  get tracer(): OpenTelemetryTracer | undefined { return this.#s.tracer; }
  get agentLoadTimeoutMs(): number { return this.#s.agentLoadTimeoutMs; }
  get cancelGraceMs(): number { return this.#s.cancelGraceMs; }
  get stepTimeoutMs(): number | null { return this.#s.stepTimeoutMs; }
  get maxConcurrentTasks(): number | null { return this.#s.maxConcurrentTasks; }
  get scheduling(): Scheduling { return this.#s.scheduling; }
  get failFast(): boolean { return this.#s.failFast; }
  get retries(): Readonly<RetryPolicy> { return this.#s.retries; }
  get logger(): winston.Logger | undefined { return this.#s.logger; }
  get pool(): Piscina | undefined { return this.#s.pool; }
  get threads(): number | undefined { return this.#s.threads; }
  get resourceLimits(): PoolOptions["resourceLimits"] | undefined { return this.#s.resourceLimits; }
}

function positiveInteger(name: string, value: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`Expected \`${name}\` to be an integer from 1 and up, got \`${String(value)}\` (${typeof value})`);
  }
  return value;
}

/** A delay a timer can wait: a number from `min` to MAX_TIMER_MS (integral when `min` is 1: a step timeout). */
function timerDelay(name: string, value: number, min: 0 | 1): number {
  const integral = min === 1;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > MAX_TIMER_MS || (integral && !Number.isInteger(value))) {
    const what = integral ? "an integer" : "a number";
    throw new RangeError(
      `Expected \`${name}\` to be ${what} of milliseconds from ${min} to ${MAX_TIMER_MS} (Node's timer maximum, about 24.8 days), ` +
        `got \`${String(value)}\` (${typeof value})`,
    );
  }
  return value;
}
