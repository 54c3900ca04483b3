// One agent, many fates, chosen by the intent: "ok", "spin" (a busy loop only a timeout stops),
// "exit" (process.exit), "throw" (an agent error), "leak" (allocates and returns a big output).
import { defineAgent } from "wavepool/agent";

export default defineAgent({
  name: "Soak",
  execute(intent) {
    const fate = intent.split(" ")[0];
    if (fate === "spin") for (;;);
    if (fate === "exit") process.exit(3);
    if (fate === "throw") throw new Error(`soak failure: ${intent}`);
    if (fate === "leak") return { big: "x".repeat(1 << 20) };
    return { ok: intent };
  },
});
