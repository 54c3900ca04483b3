// How a value crosses between threads in a run: a small primitive as it is, anything else as the
// bytes of `encodeParts`, made once. Those bytes, shared memory from SHARE_FROM_BYTES on, are what
// every step that reads the value is handed: a value read by many steps is serialised once, and
// posting it again costs a handle, not a copy. Each reader decodes its own copy when its agent first
// reads the input. The zero-copy path for big binary data: SharedArrayBuffers in a value are never
// in the bytes, they travel beside them as themselves (see `AgentContext.inputs` in ../agent.ts).
import { decodeParts, encodeParts, SHARE_FROM_BYTES, type EncodedParts } from "./value-codec.js";

/** An output that crosses as it is. */
export type Primitive = string | number | boolean | bigint | null | undefined;

/** A value on its way to another thread: a primitive as it is, anything else encoded. */
export type WireValue = Primitive | EncodedParts;

/**
 * Whether `value` crosses as it is. Strings from SHARE_FROM_BYTES / 2 characters on do not: they
 * are encoded like objects, so that one read by many steps is copied into shared memory once.
 * Symbols and functions are not primitives here: encoding refuses them, with the path of the value.
 */
export function crossesAsIs(value: unknown): value is Primitive {
  switch (typeof value) {
    case "string":
      return value.length < SHARE_FROM_BYTES / 2;
    case "number":
    case "boolean":
    case "bigint":
    case "undefined":
      return true;
    default:
      return value === null;
  }
}

/** The wire form of `value`; throws what `encodeParts` throws for a value that cannot cross. */
export function toWire(value: unknown): WireValue {
  return crossesAsIs(value) ? value : encodeParts(value);
}

/** Whether a wire value is encoded (in a wire object, only encoded values are objects). */
export function isEncoded(wire: WireValue): wire is EncodedParts {
  return typeof wire === "object" && wire !== null;
}

/** The value a wire value stands for: a fresh copy each call for an encoded one. */
export function fromWire(wire: WireValue): unknown {
  return isEncoded(wire) ? decodeParts(wire.stream, wire.shared) : wire;
}
