// Reads the producer's output from `ctx.inputs.data` and says when it had it (epoch ms, the clock
// step records use) and how big it was.
import { defineAgent } from "wavepool/agent";
import { preciseNow } from "../../src/pool/precise-time.js";
import { sizeOf } from "../data-shapes.js";

export default defineAgent({
  name: "DataReader",
  execute(_intent, ctx) {
    const size = sizeOf(ctx.inputs.data);
    return { readyAt: preciseNow(), size };
  },
});
