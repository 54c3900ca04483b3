// What may cross a thread boundary: the structured-clone-safe values, as a type and as a run-time check.
// The type makes a function or class instance in agent options a compile error; the check catches
// what slips past the type system (any, JSON from a file) with the path of the offending value.
import { types } from "node:util";

/** A value that survives structured cloning unchanged (the wavepool analogue of Rust's `Send + Sync`). */
export type Shareable =
  | string
  | number
  | boolean
  | bigint
  | null
  | undefined
  | Date
  | RegExp
  | ArrayBuffer
  | ArrayBufferView
  | readonly Shareable[]
  | ReadonlyMap<Shareable, Shareable>
  | ReadonlySet<Shareable>
  | { readonly [key: string]: Shareable };

const plainPrototypes = new Set<unknown>([Object.prototype, null]);
const neverCloneable = [WeakMap, WeakSet, WeakRef, Promise] as const;

/** How strict `locateNotShareable` is. */
export interface ShareableCheck {
  /**
   * Accept class instances (structured clone copies their own fields and drops the prototype).
   * Outputs may hold them; agent options may not, because the agent would get them without methods.
   * Instances whose state is not in own fields (platform objects such as `URL` or `Headers`, classes
   * with only private fields) are refused even so: they would arrive as `{}`.
   * @default false
   */
  classInstances?: boolean;
}

/** Where the first value that cannot cross a thread is, and what it is. */
export interface NotShareable {
  path: string;
  value: unknown;
  /** What it is and why it cannot cross, when there is more to say than its type (`describeValue`). */
  reason?: string;
}

/**
 * Finds the first value in `value` that cannot cross a thread (a function, symbol, promise, weak
 * collection, proxy, and unless allowed a class instance): its path (`$.a.b[2]`) and the value itself.
 */
export function locateNotShareable(value: unknown, path = "$", check: ShareableCheck = {}, seen = new Set<object>()): NotShareable | undefined {
  if (typeof value === "function" || typeof value === "symbol") return { path, value };
  if (typeof value !== "object" || value === null || seen.has(value)) return undefined;
  // First, before anything that could run a trap (Array.isArray and instanceof do): structured
  // clone refuses every proxy, and a revoked one throws on any look.
  if (types.isProxy(value)) return { path, value, reason: "a Proxy (structured clone refuses proxies)" };
  seen.add(value);
  const walk = (v: unknown, at: string) => locateNotShareable(v, at, check, seen);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = walk(value[i], `${path}[${i}]`);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      const bad = walk(k, `${path}.<key>`) ?? walk(v, `${path}.get(${String(k)})`);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (value instanceof Set) {
    let i = 0;
    for (const v of value) {
      const bad = walk(v, `${path}.<item ${i++}>`);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (value instanceof Date || value instanceof RegExp || value instanceof ArrayBuffer || ArrayBuffer.isView(value) ||
    value instanceof SharedArrayBuffer || types.isBoxedPrimitive(value)) {
    return undefined;
  }
  if (neverCloneable.some((C) => value instanceof C)) return { path, value };
  const prototype: unknown = Object.getPrototypeOf(value);
  if (!plainPrototypes.has(prototype)) {
    if (!check.classInstances) return { path, value };
    const reason = types.isNativeError(value) ? undefined : stateLoss(value, prototype);
    if (reason !== undefined) return { path, value, reason };
  }
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key === "symbol") {
      // Structured clone drops symbol keys; in options that would silently lose data.
      if (!check.classInstances) return { path: `${path}[${String(key)}]`, value: (value as Record<symbol, unknown>)[key] };
      continue;
    }
    let field: unknown;
    try {
      field = (value as Record<string, unknown>)[key];
    } catch {
      // Structured clone reads the same getter, and would fail the same way.
      return { path: `${path}.${key}`, value: undefined, reason: "a getter that threw" };
    }
    const bad = walk(field, `${path}.${key}`);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/**
 * Why structured clone would lose what a class instance holds, or undefined if it would not: the
 * instance has no own enumerable data, yet its prototype chain defines behaviour, so its state is
 * elsewhere (internal slots like URL, Headers, AbortSignal, Response; or private fields), and
 * structured clone does not know its class (it keeps a Blob or a KeyObject, refuses a MessagePort).
 * Asking structured clone itself settles the last part; that only runs for such data-less instances.
 */
function stateLoss(value: object, prototype: unknown): string | undefined {
  if (Object.keys(value).length > 0 || !definesBehaviour(prototype)) return undefined;
  let copy: unknown;
  try {
    copy = structuredClone(value);
  } catch (error) {
    return `${describeValue(value)}, which structured clone refuses (${(error as { message?: unknown }).message})`;
  }
  return plainPrototypes.has(Object.getPrototypeOf(copy))
    ? `${describeValue(value)}, whose state is not in own fields (internal slots or private fields): it would arrive as {}`
    : undefined;
}

/** Whether a prototype chain (below Object.prototype) has anything besides constructors. */
function definesBehaviour(prototype: unknown): boolean {
  for (let p = prototype; p !== null && p !== Object.prototype && typeof p === "object"; p = Object.getPrototypeOf(p)) {
    if (Reflect.ownKeys(p).some((key) => key !== "constructor")) return true;
  }
  return false;
}

/** The path of the first value in `value` that cannot cross a thread, or undefined (see `locateNotShareable`). */
export function findNotShareable(value: unknown, path = "$", check: ShareableCheck = {}): string | undefined {
  return locateNotShareable(value, path, check)?.path;
}

/** Describes a value for an error message: its type, and its class when it has one. */
export function describeValue(value: unknown): string {
  // Looking at a proxy's prototype runs its trap, which may throw (a revoked proxy always does).
  if (types.isProxy(value)) return "a Proxy";
  if (typeof value === "function") return `a function${value.name ? ` (${value.name})` : ""}`;
  if (typeof value === "object" && value !== null) {
    let ctor: unknown;
    try {
      ctor = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name;
    } catch {
      // A getter named constructor that throws: describe it by type alone.
    }
    return typeof ctor === "string" && ctor !== "" ? `an instance of ${ctor}` : "an object";
  }
  return `${typeof value} ${String(value)}`;
}
