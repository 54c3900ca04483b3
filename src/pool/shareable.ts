// What may cross a thread boundary: the structured-clone-safe values, as a type and as a run-time check.
// The type makes a function or class instance in agent options a compile error; the check catches
// what slips past the type system (any, JSON from a file) with the path of the offending value.

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
   * @default false
   */
  classInstances?: boolean;
}

/** Where the first value that cannot cross a thread is, and what it is. */
export interface NotShareable {
  path: string;
  value: unknown;
}

/**
 * Finds the first value in `value` that cannot cross a thread (a function, symbol, promise, weak
 * collection, and unless allowed a class instance): its path (`$.a.b[2]`) and the value itself.
 */
export function locateNotShareable(value: unknown, path = "$", check: ShareableCheck = {}, seen = new Set<object>()): NotShareable | undefined {
  if (typeof value === "function" || typeof value === "symbol") return { path, value };
  if (typeof value !== "object" || value === null || seen.has(value)) return undefined;
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
    value instanceof SharedArrayBuffer) {
    return undefined;
  }
  if (neverCloneable.some((C) => value instanceof C)) return { path, value };
  const plain = plainPrototypes.has(Object.getPrototypeOf(value));
  if (!plain && !check.classInstances) return { path, value };
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key === "symbol") {
      // Structured clone drops symbol keys; in options that would silently lose data.
      if (!check.classInstances) return { path: `${path}[${String(key)}]`, value: (value as Record<symbol, unknown>)[key] };
      continue;
    }
    const bad = walk((value as Record<string, unknown>)[key], `${path}.${key}`);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/** The path of the first value in `value` that cannot cross a thread, or undefined (see `locateNotShareable`). */
export function findNotShareable(value: unknown, path = "$", check: ShareableCheck = {}): string | undefined {
  return locateNotShareable(value, path, check)?.path;
}

/** Describes a value for an error message: its type, and its class when it has one. */
export function describeValue(value: unknown): string {
  if (typeof value === "function") return `a function${value.name ? ` (${value.name})` : ""}`;
  if (typeof value === "object" && value !== null) {
    const ctor = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return ctor ? `an instance of ${ctor}` : "an object";
  }
  return `${typeof value} ${String(value)}`;
}
