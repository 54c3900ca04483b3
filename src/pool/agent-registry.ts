// Agents registered on an orchestrator: where each module is, checked for shareability at
// registration, and loaded once in a worker (preflight) before the first step that needs it.
import type { Piscina } from "piscina";
import { AgentLoadError, AgentNotShareableError } from "../errors.js";
import { didYouMean } from "../suggest.js";
import { checkBeforeImport, importFailed } from "./agent-load-error.js";
import { threadDiedLoading } from "./load-failure.js";
import { moduleUrl } from "./module-path.js";
import type { AgentSpec, LoadOutcome, LoadTask } from "./protocol.js";
import { describeValue, locateNotShareable, type Shareable } from "./shareable.js";
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
    // Read now: the agent may be registered again while its modules load.
    const declared = new Map(agents.map((spec) => [spec, this.#declaredAs.get(spec.name)!]));
    // What the main thread can tell before any thread imports a module is told once, not per thread.
    const misfits = await Promise.all(agents.map((spec) => checkBeforeImport(spec, declared.get(spec)!)));
    const misfit = misfits.find((error) => error !== undefined);
    if (misfit !== undefined) throw misfit;
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
      const spec = agents.find((a) => a.name === first.name)!;
      throw await importFailed(spec, declared.get(spec)!, first.error);
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
