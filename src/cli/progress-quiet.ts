// `wavepool run --quiet`: no progress at all, neither the live display nor a line per event. Log
// entries at the chosen level and notices (Ctrl-C) still print, a line each.
import type { RunEvent } from "../run/events.js";
import type { ProgressDisplay } from "./progress-live.js";

export class QuietProgress implements ProgressDisplay {
  readonly #stream: NodeJS.WritableStream;

  constructor(stream: NodeJS.WritableStream) {
    this.#stream = stream;
  }

  onEvent(_event: RunEvent): void {}

  log(line: string): void {
    this.#stream.write(`${line}\n`);
  }

  stop(): void {}
}
