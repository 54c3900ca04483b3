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

/**
 * Returns the path (`$.a.b[2]`) of the first value in `value` that is not plain shareable data
 * (a function, symbol, class instance, promise, weak collection...), or undefined if all of it is.
 * Class instances are refused because they would arrive in the worker without their methods.
 */
export function findNotShareable(value: unknown, path = "$", seen = new Set<object>()): string | undefined {
  switch (typeof value) {
    case "function":
    case "symbol":
      return path;
    case "object":
      break;
    default:
      return undefined;
  }
  if (value === null || seen.has(value)) return undefined;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = findNotShareable(value[i], `${path}[${i}]`, seen);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      const bad = findNotShareable(k, `${path}.<key>`, seen) ?? findNotShareable(v, `${path}.get(${String(k)})`, seen);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (value instanceof Set) {
    let i = 0;
    for (const v of value) {
      const bad = findNotShareable(v, `${path}.<item ${i++}>`, seen);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (value instanceof Date || value instanceof RegExp || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    return undefined;
  }
  if (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer) return undefined;
  if (!plainPrototypes.has(Object.getPrototypeOf(value))) return path;
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key === "symbol") return `${path}[${String(key)}]`;
    const bad = findNotShareable((value as Record<string, unknown>)[key], `${path}.${key}`, seen);
    if (bad !== undefined) return bad;
  }
  return undefined;
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
