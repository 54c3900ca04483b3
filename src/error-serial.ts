// The one serialiser for thrown values, shared by the worker (what an agent threw) and the main
// thread (`errorInfo`). An agent may throw anything: a string, null, a null-prototype object, an
// Error whose getters throw, a revoked Proxy. Reading any of those can itself throw, and a throw
// here would turn the agent's failure into a crash, so every read is guarded and this never throws.
// Imports only node:util: the worker loads this for every thread.
import { inspect, types } from "node:util";

/** What a thrown value becomes to cross threads: plain strings and a boolean, always cloneable. */
export interface AgentErrorInfo {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  retryable?: boolean;
}

// Long enough to be useful in a log line, short enough that a huge thrown object stays a message.
const MAX_DESCRIPTION = 500;

/** Reads `value[key]`; a getter or proxy trap that throws gives `undefined`. */
export function readProperty(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

/**
 * Describes any value in one line, never running a proxy's traps (inspect looks through proxies)
 * nor a getter; falls back to its type when even that fails (a throwing custom inspect).
 */
export function describeThrown(value: unknown): string {
  try {
    const text = inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 200 });
    const line = text.split("\n", 1)[0]!;
    return line.length > MAX_DESCRIPTION ? `${line.slice(0, MAX_DESCRIPTION)}…` : line;
  } catch {
    if (types.isProxy(value)) return "a Proxy";
    const name = typeof value === "object" && value !== null ? className(value) : undefined;
    return name === undefined ? `a value of type ${typeof value}` : `an instance of ${name}`;
  }
}

/** The class name of an object, read without running proxy traps; undefined when unknown. */
function className(value: object): string | undefined {
  if (types.isProxy(value)) return undefined;
  try {
    const name = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    return typeof name === "string" && name !== "" ? name : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reduces anything thrown to `{ name, message, stack?, code?, retryable? }` with a best-effort
 * message. Never throws: a value whose properties cannot be read is described instead.
 * @example
 * toErrorInfo(new TypeError("bad"));  // { name: "TypeError", message: "bad", stack: "TypeError: bad\n..." }
 * toErrorInfo(null);                  // { name: "Error", message: "null was thrown (not an Error)" }
 */
export function toErrorInfo(value: unknown): AgentErrorInfo {
  if (typeof value === "string") return { name: "Error", message: value };
  if (typeof value !== "object" || value === null) {
    return { name: "Error", message: `${describeThrown(value)} was thrown (not an Error)` };
  }
  const name = readProperty(value, "name");
  const message = readProperty(value, "message");
  const info: AgentErrorInfo = {
    // A plain object's class is just "Object": say "Error" rather than invent a kind.
    name: typeof name === "string" && name !== "" ? name : className(value)?.replace(/^Object$/, "Error") ?? "Error",
    message: typeof message === "string" ? message : unreadableMessage(value),
  };
  const stack = readProperty(value, "stack");
  const code = readProperty(value, "code");
  const retryable = readProperty(value, "retryable");
  if (typeof stack === "string") info.stack = stack;
  if (typeof code === "string") info.code = code;
  if (typeof retryable === "boolean") info.retryable = retryable;
  return info;
}

/** A message for an object thrown without a readable string `message`. */
function unreadableMessage(value: object): string {
  if (types.isProxy(value)) return `a Proxy was thrown and its message could not be read (${describeThrown(value)})`;
  if (types.isNativeError(value)) return `${className(value) ?? "Error"} thrown with a message that could not be read`;
  return `${describeThrown(value)} was thrown (not an Error)`;
}
