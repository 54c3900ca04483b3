// `ctx.inputs` in a worker: the values the step's template read, each decoded from the bytes it was
// sent as the first time the agent reads it. The bytes are the ones every reader of the value got
// (shared memory for a big value); an input the agent never reads is never decoded.
import type { EncodedParts } from "../src/pool/value-codec.js";
import { fromWire, isEncoded, type WireValue } from "../src/pool/wire-value.js";

/**
 * A plain object with one enumerable property per input. An encoded one is a getter until it is
 * first read (or assigned), then a data property like the others: spreading, `Object.entries` or
 * returning `ctx.inputs` read every input, as they would read any object.
 */
export function lazyInputs(wire: Record<string, WireValue>): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  // Names that read one context value (an output key and its `<stepId>_output` alias) arrive as one
  // object and decode to one value, as a structured clone of both names would give them.
  const decoded = new Map<EncodedParts, unknown>();
  for (const key of Object.keys(wire)) {
    const value = wire[key];
    if (!isEncoded(value)) {
      define(inputs, key, value);
      continue;
    }
    Object.defineProperty(inputs, key, {
      enumerable: true,
      configurable: true,
      get() {
        if (!decoded.has(value)) decoded.set(value, decode(key, value));
        const data = decoded.get(value);
        define(inputs, key, data);
        return data;
      },
      set(data: unknown) {
        define(inputs, key, data);
      },
    });
  }
  return inputs;
}

// defineProperty, not assignment: an input named `__proto__` is data like any other. On an object
// the agent froze or sealed, the getter stays (and keeps answering the one decoded value).
function define(inputs: Record<string, unknown>, key: string, value: unknown): void {
  Reflect.defineProperty(inputs, key, { value, writable: true, enumerable: true, configurable: true });
}

function decode(key: string, wire: EncodedParts): unknown {
  try {
    return fromWire(wire);
  } catch (error) {
    throw new Error(`ctx.inputs.${key} cannot be read in this thread: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}
