// The wire form of a run's context values (../pool/wire-value.ts), one per value for every step that
// reads it: a completed output as its worker sent it, anything else encoded when a step first reads it.
import { isEncoded, toWire, type WireValue } from "../pool/wire-value.js";

export class ContextWires {
  readonly #context: ReadonlyMap<string, unknown>;
  readonly #wire = new Map<string, WireValue>();

  constructor(context: ReadonlyMap<string, unknown>) {
    this.#context = context;
  }

  /**
   * The wire form of context value `key`: a completed output as its worker sent it; `task`, an input
   * or a restored output encoded when a step first reads it. Encoded forms are `EncodedParts`, from
   * which `frameParts` makes the value's state-file bytes without serialising it again. Throws what
   * `encodeParts` throws for a value that cannot cross.
   */
  of(key: string): WireValue {
    if (this.#wire.has(key)) return this.#wire.get(key);
    const wire = toWire(this.#context.get(key));
    this.#wire.set(key, wire);
    return wire;
  }

  /** Context value `key` was set: it crossed from its worker as `wire`, or is encoded when first read. */
  set(key: string, wire: WireValue): void {
    if (isEncoded(wire)) this.#wire.set(key, wire);
    else this.#wire.delete(key);
  }
}
