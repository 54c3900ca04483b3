// Ctrl-C during `wavepool run`: the first cancels the run through its AbortSignal (running steps
// are terminated, the state file is kept, the command exits 130 once the run has wound down); a
// second one exits at once.
import { EXIT } from "./cli-errors.js";
import type { ProgressDisplay } from "./progress-live.js";

/** Listens for SIGINT until the returned function is called. */
export function onInterrupt(controller: AbortController, display: ProgressDisplay): () => void {
  const handler = (): void => {
    if (!controller.signal.aborted) {
      display.log("cancelling: stopping running steps (press Ctrl-C again to exit at once)");
      controller.abort();
      return;
    }
    display.stop();
    process.stderr.write("wavepool: exiting at once\n");
    process.exit(EXIT.cancelled);
  };
  process.on("SIGINT", handler);
  return () => void process.off("SIGINT", handler);
}
