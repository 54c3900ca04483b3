// Agents registered on an orchestrator: where each module is, checked for shareability at
// registration, and loaded once in a worker (preflight) before the first step that needs it.
import { setMaxListeners } from "node:events";
import type { Piscina } from "piscina";
import { AgentLoadError, AgentNotShareableError, UnknownAgentError } from "../errors.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import { didYouMean } from "../suggest.js";
import { checkBeforeImport, importFailed } from "./agent-load-error.js";
import { threadDiedLoading } from "./load-failure.js";
import { moduleUrl } from "./module-path.js";
import type { AgentSpec, LoadOutcome, LoadTask } from "./protocol.js";
import { describeValue, locateNotShareable, type Shareable } from "./shareable.js";
import { rememberAgents } from "./warm-up.js";
import { WORKER_FILENAME } from "./worker-pool.js";

/** Where an agent lives: an absolute path, a `file:` URL, or a module with an export and options. */
export type AgentRef<Options extends Shareable = Shareable> =
  | string
  | URL
  | {
    module: string | URL;
    /** The export that holds the agent. @default "default" */
    export?: string;
    /** Plain data the agent receives as `ctx.options`, cloned. */
    options?: Options;
    /**
     * How the caller declared this agent, for error messages to name what to fix: a tool that reads
     * agents from its own config says where. @default `addAgent("<name>", ...)`
     * @example { module: "/abs/writer.js", declaredAs: "agents.Writer" } // what `wavepool run` registers
     */
    declaredAs?: string;
  };

const REF_KEYS = ["module", "export", "options", "declaredAs"];

export class AgentRegistry {
  readonly #specs = new Map<string, AgentSpec>();
  /** Where each agent was declared (see `AgentRef`), kept on the main thread: workers never need it. */
  readonly #declaredAs = new Map<string, string>();
  readonly #loaded = new Map<string, Promise<void>>();

  register(name: string, ref: unknown): void {
    if (typeof name !== "string" || name === "") {
      throw new TypeError(`addAgent expects a non-empty agent name, got ${JSON.stringify(name)}`);
    }
    const declaredAs = declarationOf(name, ref);
    this.#specs.set(name, toSpec(name, ref, declaredAs));
    this.#declaredAs.set(name, declaredAs);
    this.#loaded.delete(name);
  }

  has(name: string): boolean {
    return this.#specs.has(name);
  }

  get(name: string): AgentSpec | undefined {
    return this.#specs.get(name);
  }

  names(): string[] {
    return [...this.#specs.keys()];
  }
  /** The agent of each step of `graph`, by step index; throws `UnknownAgentError` for one not registered. */
  specsFor(graph: DependencyGraph): AgentSpec[] {
    return graph.steps.map((step, i) => {
      const spec = this.get(step.assignedAgent);
      if (spec !== undefined) return spec;
      const known = this.names();
      const guess = didYouMean(step.assignedAgent, known);
      throw new UnknownAgentError(
        `step ${step.stepId} uses agent ${step.assignedAgent}, which is not registered; ` +
          (guess === undefined ? "" : `did you mean ${guess}? Otherwise `) +
          `call orchestrator.addAgent(${JSON.stringify(step.assignedAgent)}, moduleUrl)` +
          (known.length ? ` (registered: ${known.join(", ")})` : ""),
        { path: `steps[${i}].agent`, stepId: step.stepId, agent: step.assignedAgent },
      );
    });
  }


  /**
   * Loads the named agents (once per registration) on every thread, and resolves as soon as one
   * thread has loaded them all: the run need not wait for the others, which load before they take
   * a step (their load tasks are ahead of the steps in the pool's queue). Each import is bounded by
   * `loadTimeoutMs`. Rejects with `AgentLoadError` naming the agent, the module and what went wrong
   * (an import error, a timeout, a thread that died loading it) if that happens before one thread
   * loaded them all; rejects with `signal`'s reason as soon as it aborts.
   */
  async preflight(pool: Piscina, names: Iterable<string>, options: PreflightOptions): Promise<void> {
    const waits: Promise<void>[] = [];
    const todo: AgentSpec[] = [];
    for (const name of new Set(names)) {
      const known = this.#loaded.get(name);
      if (known !== undefined) waits.push(known);
      else todo.push(this.#specs.get(name)!);
    }
    if (todo.length > 0) {
      const load = this.#load(pool, todo, options.loadTimeoutMs);
      for (const spec of todo) {
        this.#loaded.set(spec.name, load);
        // A failed load is retried on the next run (the file may have been fixed).
        load.catch(() => this.#loaded.get(spec.name) === load && this.#loaded.delete(spec.name));
      }
      waits.push(load.then(() => rememberAgents(pool, todo, options.loadTimeoutMs)));
    }
    await abortable(Promise.all(waits).then(() => undefined), options.signal);
  }

  // One load task per live thread: idle threads each take one. The first to load every agent settles
  // the preflight; the others go on (a thread that is still loading takes no step meanwhile).
  async #load(pool: Piscina, agents: AgentSpec[], loadTimeoutMs: number): Promise<void> {
    // Read now: the agent may be registered again while its modules load.
    const declared = new Map(agents.map((spec) => [spec, this.#declaredAs.get(spec.name)!]));
    // What the main thread can tell before any thread imports a module is told once, not per thread.
    const misfits = await Promise.all(agents.map((spec) => checkBeforeImport(spec, declared.get(spec)!)));
    const misfit = misfits.find((error) => error !== undefined);
    if (misfit !== undefined) throw misfit;
    const controller = new AbortController();
    // One listener per load task: a pool of many threads is no leak.
    setMaxListeners(0, controller.signal);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, loadTimeoutMs);
    const tasks = Array.from({ length: Math.max(1, pool.threads.length) }, () => {
      const loading = new Int32Array(new SharedArrayBuffer(4));
      const task: LoadTask = { kind: "load", agents, loading };
      const culprit = (): AgentSpec => agents[Math.max(0, Atomics.load(loading, 0) - 1)]!;
      return (pool.run(task, { filename: WORKER_FILENAME, signal: controller.signal }) as Promise<LoadOutcome>).then(
        (outcome) => outcome.failures[0],
        (reason: unknown) => {
          const spec = culprit();
          if (timedOut) {
            throw new AgentLoadError(
              `agent ${spec.name} did not finish loading from ${spec.module} within ${loadTimeoutMs} ms (a top-level await that never settles, or a busy loop); its thread was terminated. Fix the module, or raise the limit with withAgentLoadTimeout(ms)`,
              { agent: spec.name, cause: reason },
            );
          }
          throw threadDiedLoading(spec.name, spec.module, reason);
        },
      );
    });
    // The timer outlives the preflight: it still stops a thread whose load hangs after another's succeeded.
    void Promise.allSettled(tasks).then(() => clearTimeout(timer));
    try {
      await firstSuccess(tasks, async (failure) => {
        const spec = agents.find((a) => a.name === failure.name)!;
        return importFailed(spec, declared.get(spec)!, failure.error);
      });
    } catch (error) {
      // One load failed: the others need not go on.
      controller.abort();
      throw error;
    }
  }
}

/**
 * Resolves when one of `loads` resolves with no failure; rejects with the first failure (an import
 * error told by `explain`, or a rejection) that comes before that.
 */
function firstSuccess(
  loads: Promise<LoadOutcome["failures"][number] | undefined>[],
  explain: (failure: LoadOutcome["failures"][number]) => Promise<Error>,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    for (const load of loads) {
      load.then((failure) => {
        if (settled) return;
        if (failure === undefined) {
          settled = true;
          resolve();
        } else {
          settled = true;
          explain(failure).then(reject, reject);
        }
      }, fail);
    }
  });
}

/** What `preflight` is bounded by. */
export interface PreflightOptions {
  loadTimeoutMs: number;
  /** Stops waiting at once (the run was cancelled, the orchestrator closed). */
  signal?: AbortSignal | undefined;
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    // Whatever it settles to later is nobody's to hear: it must not become an unhandled rejection.
    promise.catch(() => undefined);
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** `ref.declaredAs` when the caller gave one, else the `addAgent` call that registered it. */
function declarationOf(name: string, ref: unknown): string {
  const given = typeof ref === "object" && ref !== null && !(ref instanceof URL) ? (ref as { declaredAs?: unknown }).declaredAs : undefined;
  if (given === undefined) return `addAgent(${JSON.stringify(name)}, ...)`;
  if (typeof given !== "string" || given === "") {
    throw new TypeError(`agent ${name}: \`declaredAs\` must be a non-empty string saying where the agent was declared, got ${describeValue(given)}`);
  }
  return given;
}

function toSpec(name: string, ref: unknown, declaredAs: string): AgentSpec {
  const fail = (message: string, path?: string): never => {
    throw new AgentNotShareableError(`agent ${name}: ${message}`, path === undefined ? { agent: name } : { agent: name, path });
  };
  if (typeof ref === "string" || ref instanceof URL) return { name, module: moduleUrl(name, ref, declaredAs), export: "default" };
  if (typeof ref !== "object" || ref === null) {
    return fail(`expected a module path, a file: URL or { module, export?, options? }, got ${describeValue(ref)}`);
  }
  const { module, export: exp = "default", options, declaredAs: _declaredAs, ...rest } = ref as {
    module?: unknown; export?: unknown; options?: unknown; declaredAs?: unknown;
  };
  if (typeof module !== "string" && !(module instanceof URL)) return fail("`module` must be a path or a file: URL");
  if (typeof exp !== "string") return fail("`export` must be the name of an export");
  const extra = Object.keys(rest);
  if (extra.length > 0) {
    const guess = didYouMean(extra[0]!, REF_KEYS);
    return fail(`unknown key ${JSON.stringify(extra[0])}; ${guess === undefined ? "an agent ref has module, export, options and declaredAs" : `did you mean ${JSON.stringify(guess)}?`}`);
  }
  const bad = locateNotShareable(options, "options");
  if (bad !== undefined) {
    return fail(
      `${bad.path} is ${describeValue(bad.value)}, which cannot cross to a worker thread; pass plain data (strings, numbers, arrays, plain objects, Map, Set, Date) and build the rest inside the agent`,
      bad.path,
    );
  }
  const spec: AgentSpec = { name, module: moduleUrl(name, module as string | URL, declaredAs), export: exp };
  if (options !== undefined) spec.options = options;
  return spec;
}
