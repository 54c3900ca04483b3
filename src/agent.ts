// What an agent author imports: `defineAgent` and the context an agent runs with.
// Kept free of heavy imports so that a worker loading an agent module stays light
// (`wavepool/agent` exports just this).
import type { Shareable } from "./pool/shareable.js";

const kAgent = Symbol.for("wavepool.agent");

/** A logger that forwards to the main thread's winston logger, tagged with run, step and thread. */
export interface AgentLogger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
}

/** What `ctx.requestApproval` asks a person. */
export interface ApprovalRequest {
  message: string;
  payload?: unknown;
}

/** A person's answer to an approval request. */
export interface ApprovalDecision {
  approved: boolean;
  note?: string;
}

/** Everything an agent gets besides its intent. Lives in the worker thread. */
export interface AgentContext<Options = unknown> {
  /**
   * The context values the intent template read (outputs of earlier steps, `task`, inputs), by the
   * names it read them by. Each is a copy of its own, decoded the first time the agent reads it from
   * bytes made once per run and shared by every step that reads the value; one never read costs nothing.
   *
   * Big binary data: a `SharedArrayBuffer` (or a typed array or `DataView` on one) anywhere in an
   * output is not copied at all: the producing agent, every reader and `result.context` see the same
   * memory, so treat it as read-only or coordinate with `Atomics`. `saveStateTo` saves a snapshot
   * of its bytes; a resumed run gets a new `SharedArrayBuffer` holding them.
   * @example
   * // producer: return { width, height, pixels: new Uint8Array(new SharedArrayBuffer(width * height * 4)) }
   * // reader, template "edges of {{ frame.width }}x{{ frame.height }}":
   * const { pixels } = ctx.inputs.frame as { pixels: Uint8Array }; // the producer's memory, not a copy
   */
  inputs: Record<string, unknown>;
  /** The `options` given at `addAgent`, cloned. */
  options: Options;
  /** Aborted when the step's timeout passes; the thread is terminated right after, so stop promptly. */
  signal: AbortSignal;
  stepId: string;
  runId: string;
  /** The step's `expectedOutput` option: what it should produce, in words. Undefined when not given. */
  expectedOutput: string | undefined;
  /** 1 for the first try, 2 for the first retry... */
  attempt: number;
  /** Forwarded to the main thread's winston logger. */
  log: AgentLogger;
  /** Reports progress in [0, 1]; emitted on the main thread as a `step:progress` event. */
  progress(value: number, message?: string): Promise<void>;
  /**
   * Streams a partial output (tokens of a model, rows of a scan: any structured-clone-safe value) to
   * the main thread as a `step:output` event. Chunks arrive in order, all before the step's
   * `step:end`; the promise resolves once the chunk has reached the main thread (await it to pace a
   * fast producer), and rejects if the chunk cannot be cloned.
   */
  emit(chunk: unknown): Promise<void>;
  /** Asks a person (the run's `onApproval` handler) to approve; resolves with their decision. */
  requestApproval(request: ApprovalRequest): Promise<ApprovalDecision>;
}

/** What `defineAgent` takes. `execute` returns any structured-clone-safe value. */
export interface AgentDefinition<Options = unknown, Output = unknown> {
  /**
   * A label for the module itself (docs, tooling). Optional: in a run, the agent's name is the one
   * given to `addAgent`, whatever this says.
   */
  name?: string;
  /** What the agent is good at, for people and planners reading the strategy. */
  expertise?: string;
  execute(intent: string, ctx: AgentContext<Options>): Output | Promise<Output>;
}

/** An agent made by `defineAgent`: the default export of an agent module. */
export type Agent<Options = unknown, Output = unknown> = Readonly<AgentDefinition<Options, Output>> & {
  readonly [kAgent]: true;
};

/**
 * Declares an agent. The module that calls it is imported inside worker threads, never on the
 * main thread. `name` is optional: the name given to `addAgent` is the agent's name in a run.
 * @example
 * export default defineAgent({ execute: (intent) => intent.toUpperCase() });
 */
export function defineAgent<Options = unknown, Output = unknown>(
  definition: AgentDefinition<Options, Output>,
): Agent<Options, Output> {
  if (typeof definition !== "object" || definition === null) {
    throw new TypeError(`defineAgent expects an object with \`execute\` (and optionally \`name\`, \`expertise\`), got ${definition === null ? "null" : typeof definition}`);
  }
  const { name, expertise } = definition;
  if (name !== undefined && (typeof name !== "string" || name === "")) {
    throw new TypeError(`defineAgent expects \`name\`, when given, to be a non-empty string, got ${name === "" ? "an empty string" : typeof name}; or leave it out: addAgent names the agent`);
  }
  if (expertise !== undefined && typeof expertise !== "string") {
    throw new TypeError(`defineAgent expects \`expertise\`, when given, to be a string, got ${typeof expertise}${name ? ` (agent ${name})` : ""}`);
  }
  if (typeof definition.execute !== "function") {
    throw new TypeError(`defineAgent expects \`execute\` to be a function (intent, ctx) => output, got ${typeof definition.execute}${name ? ` (agent ${name})` : ""}`);
  }
  return Object.freeze({ ...definition, [kAgent]: true as const });
}

/** True for a value made by `defineAgent` (in any copy of the package). */
export function isAgent(value: unknown): value is Agent {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[kAgent] === true &&
    typeof (value as AgentDefinition).execute === "function";
}

export type { Shareable };
