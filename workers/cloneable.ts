// Finds the first value in an agent's output that structured cloning refuses, with its path,
// so the step fails with a message that points at it instead of crashing the thread on postMessage.

const refused = [WeakMap, WeakSet, WeakRef, Promise] as const;

/** The path (`$.a.b[2]`) of the first uncloneable value in `value`, or undefined. */
export function findUncloneable(value: unknown, path = "$", seen = new Set<object>()): string | undefined {
  if (typeof value === "function" || typeof value === "symbol") return path;
  if (typeof value !== "object" || value === null || seen.has(value)) return undefined;
  seen.add(value);
  if (refused.some((C) => value instanceof C)) return path;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp) {
    return undefined;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) {
      const bad = findUncloneable(k, `${path}.<key>`, seen) ?? findUncloneable(v, `${path}.get(${String(k)})`, seen);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (value instanceof Set) {
    let i = 0;
    for (const v of value) {
      const bad = findUncloneable(v, `${path}.<item ${i++}>`, seen);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  const isArray = Array.isArray(value);
  for (const key of Object.keys(value)) {
    const bad = findUncloneable((value as Record<string, unknown>)[key], isArray ? `${path}[${key}]` : `${path}.${key}`, seen);
    if (bad !== undefined) return bad;
  }
  return undefined;
}
