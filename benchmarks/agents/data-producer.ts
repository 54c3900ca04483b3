// Returns a big value for the data-once benchmark; the intent is "<shape> <bytes>".
import { defineAgent } from "wavepool/agent";
import { makeValue, type Shape } from "../data-shapes.js";

export default defineAgent({
  name: "DataProducer",
  execute(intent) {
    const [shape, bytes] = intent.split(" ");
    return makeValue(shape as Shape, Number(bytes));
  },
});
