// Does nothing: what is left of a step is the runtime's own per-step cost.
import { defineAgent } from "wavepool/agent";

export default defineAgent({
  name: "Noop",
  execute: () => null,
});
