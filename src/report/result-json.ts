// `wavepool run --json`: the result as JSON. Outputs may be any structured-clone-safe value, so
// what JSON lacks is mapped to what a reader expects: Map -> object (or [key, value] pairs when a
// key is not a string), Set and typed arrays -> arrays, bigint -> decimal string, Date -> ISO string,
// a cycle -> "[Circular]".
import type { ParallelOrchestrationResult } from "../run/result.js";

/** A JSON-safe copy of `value`. */
export function toPlain(value: unknown, ancestors: object[] = []): unknown {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value !== "object" || value === null) return typeof value === "function" || typeof value === "symbol" ? undefined : value;
  if (ancestors.includes(value)) return "[Circular]";
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (ArrayBuffer.isView(value)) return value instanceof DataView ? [...new Uint8Array(value.buffer, value.byteOffset, value.byteLength)] : Array.from(value as unknown as ArrayLike<number | bigint>, (v) => toPlain(v));
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer) return [...new Uint8Array(value)];
  const inner = [...ancestors, value];
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((v) => toPlain(v, inner) ?? null);
  if (value instanceof Set) return [...value].map((v) => toPlain(v, inner) ?? null);
  if (value instanceof Map) {
    const entries = [...value];
    if (entries.every(([k]) => typeof k === "string")) return Object.fromEntries(entries.map(([k, v]) => [k, toPlain(v, inner)]));
    return entries.map(([k, v]) => [toPlain(k, inner), toPlain(v, inner)]);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const plain = toPlain(v, inner);
    if (plain !== undefined) out[k] = plain;
  }
  return out;
}

/** The whole result, `context` as an object of output key -> value. */
export function resultToJSON(result: ParallelOrchestrationResult): string {
  return JSON.stringify(toPlain(result), null, 2);
}
