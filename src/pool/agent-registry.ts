// Agents registered on an orchestrator: where each module is, checked for shareability at
// registration, and loaded once in a worker (preflight) before the first step that needs it.
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import type { Piscina } from "piscina";
import { AgentLoadError, AgentNotShareableError } from "../errors.js";
import { threadDiedLoading } from "./load-failure.js";
import type { AgentSpec, LoadOutcome, LoadTask } from "./protocol.js";
import { describeValue, locateNotShareable, type Shareable } from "./shareable.js";
import { WORKER_FILENAME } from "./worker-pool.js";

/** Where an agent lives: an absolute path, a `file:` URL, or a module with an export and options. */
export type AgentRef<Options extends Shareable = Shareable> =
  | string
  | URL
  | { module: string | URL; export?: string; options?: Options };

export class AgentRegistry {
  readonly #specs = new Map<string, AgentSpec>();
  readonly #loaded = new Map<string, Promise<void>>();

  register(name: string, ref: unknown): void {
    if (typeof name !== "string" || name === "") {
      throw new TypeError(`addAgent expects a non-empty agent name, got ${JSON.stringify(name)}`);
    }
    this.#specs.set(name, toSpec(name, ref));
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

  /**
   * Loads the named agents on every thread (once per registration), each import bounded by
   * `loadTimeoutMs`. Rejects with `AgentLoadError` naming the agent, the module and what went wrong
   * (an import error, a timeout, a thread that died loading it); rejects with `signal`'s reason
   * as soon as it aborts.
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
      waits.push(load);
    }
    await abortable(Promise.all(waits).then(() => undefined), options.signal);
  }

  // One load task per live thread: idle threads each take one, so every thread has imported the
  // agents before the first step (a cold import is not a step's work, nor its latency).
  async #load(pool: Piscina, agents: AgentSpec[], loadTimeoutMs: number): Promise<void> {
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, loadTimeoutMs);
    const tasks = Array.from({ length: Math.max(1, pool.threads.length) }, () => {
      const task: LoadTask = { kind: "load", agents, loading: new Int32Array(new SharedArrayBuffer(4)) };
      const culprit = (): AgentSpec => agents[Math.max(0, Atomics.load(task.loading, 0) - 1)]!;
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
    try {
      const failures = await Promise.all(tasks);
      const first = failures.find((f) => f !== undefined);
      if (first === undefined) return;
      const spec = this.#specs.get(first.name)!;
      const stack = first.error.stack ? `\n${first.error.stack}` : "";
      throw new AgentLoadError(
        `agent ${first.name} could not be loaded from ${spec.module}: ${first.error.message}. ` +
          `Check the path given to addAgent and that the module's ${spec.export} export is defineAgent({...}).`,
        { agent: first.name, cause: Object.assign(new Error(first.error.message + stack), { name: first.error.name }) },
      );
    } finally {
      clearTimeout(timer);
      // One load failed: the others need not go on.
      controller.abort();
    }
  }
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

function toSpec(name: string, ref: unknown): AgentSpec {
  const fail = (message: string, path?: string): never => {
    throw new AgentNotShareableError(`agent ${name}: ${message}`, path === undefined ? { agent: name } : { agent: name, path });
  };
  if (typeof ref === "string" || ref instanceof URL) return { name, module: toModuleUrl(name, ref), export: "default" };
  if (typeof ref !== "object" || ref === null) {
    return fail(`expected a module path, a file: URL or { module, export?, options? }, got ${describeValue(ref)}`);
  }
  const { module, export: exp = "default", options, ...rest } = ref as { module?: unknown; export?: unknown; options?: unknown };
  if (typeof module !== "string" && !(module instanceof URL)) return fail("`module` must be a path or a file: URL");
  if (typeof exp !== "string") return fail("`export` must be the name of an export");
  const extra = Object.keys(rest);
  if (extra.length > 0) return fail(`unknown key ${JSON.stringify(extra[0])}; an agent ref has module, export and options`);
  const bad = locateNotShareable(options, "options");
  if (bad !== undefined) {
    return fail(
      `${bad.path} is ${describeValue(bad.value)}, which cannot cross to a worker thread; pass plain data (strings, numbers, arrays, plain objects, Map, Set, Date) and build the rest inside the agent`,
      bad.path,
    );
  }
  const spec: AgentSpec = { name, module: toModuleUrl(name, module as string | URL), export: exp };
  if (options !== undefined) spec.options = options;
  return spec;
}

function toModuleUrl(name: string, ref: string | URL): string {
  if (ref instanceof URL || ref.startsWith("file:")) {
    const url = new URL(ref);
    if (url.protocol !== "file:") throw new AgentNotShareableError(`agent ${name}: only file: URLs can be loaded in a worker, got ${url.href}`, { agent: name });
    return url.href;
  }
  if (!isAbsolute(ref)) {
    throw new AgentNotShareableError(
      `agent ${name}: module path ${JSON.stringify(ref)} is relative; pass an absolute path or new URL("./agent.js", import.meta.url)`,
      { agent: name },
    );
  }
  return pathToFileURL(ref).href;
}
