// Returns `bytes` bytes (a Uint8Array filled with the step's index): a step whose output is big
// and whose work is nothing, so that what a run costs beyond the unsaved run is the state file.
import { defineAgent } from "wavepool/agent";

export interface BytesOptions {
  bytes: number;
}

export default defineAgent<BytesOptions, Uint8Array>({
  name: "Bytes",
  expertise: "Returns a block of bytes",
  execute(_intent, ctx) {
    return new Uint8Array(ctx.options.bytes).fill(Number(/\d+/.exec(ctx.stepId)?.[0] ?? 0) & 0xff);
  },
});
