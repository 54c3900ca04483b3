// The live display on a terminal: the frame is redrawn in place (cursor up, clear, rewrite) at
// most ten times a second, in one write so it does not flicker; log lines are printed above it.
import type { RunEvent } from "../run/events.js";
import { cursor, type Palette } from "./ansi.js";
import { renderFrame } from "./progress-frame.js";
import type { ProgressModel } from "./progress-model.js";

/** What `wavepool run` reports progress to: the live display, or a line per event. */
export interface ProgressDisplay {
  onEvent(event: RunEvent): void;
  /** Prints a line (a log entry, a notice) without breaking the display. */
  log(line: string): void;
  /** Draws the last frame and gives the terminal back. Idempotent. */
  stop(): void;
}

const FRAME_MS = 100;

export class LiveProgress implements ProgressDisplay {
  readonly #stream: NodeJS.WriteStream;
  readonly #model: ProgressModel;
  readonly #colours: Palette;
  readonly #restoreCursor = (): void => void this.#stream.write(cursor.show);
  #timer: NodeJS.Timeout | undefined;
  #height = 0;
  #last = "";
  #tick = 0;
  #stopped = false;

  constructor(stream: NodeJS.WriteStream, model: ProgressModel, colours: Palette) {
    this.#stream = stream;
    this.#model = model;
    this.#colours = colours;
  }

  onEvent(event: RunEvent): void {
    this.#model.apply(event);
    if (this.#stopped) return;
    if (this.#timer === undefined) this.#start();
    if (event.type === "run:end") this.#draw();
  }

  log(line: string): void {
    if (this.#stopped || this.#timer === undefined) {
      this.#stream.write(`${line}\n`);
      return;
    }
    // Erase the frame, print the line where it was, and draw the frame again below it.
    const erase = this.#height > 0 ? `${cursor.up(this.#height)}${cursor.clearDown}` : "";
    this.#height = 0;
    this.#last = "";
    this.#stream.write(`${erase}${line}\n`);
    this.#draw();
  }

  stop(): void {
    if (this.#stopped) return;
    if (this.#timer !== undefined) this.#draw();
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#stream.write(cursor.show);
    process.off("exit", this.#restoreCursor);
  }

  #start(): void {
    this.#stream.write(cursor.hide);
    // However the process ends, the cursor comes back.
    process.on("exit", this.#restoreCursor);
    this.#timer = setInterval(() => {
      this.#tick++;
      this.#draw();
    }, FRAME_MS);
    this.#timer.unref();
    this.#draw();
  }

  #draw(): void {
    const lines = renderFrame(this.#model, Date.now(), {
      columns: this.#stream.columns || 80, rows: this.#stream.rows || 24, colours: this.#colours, tick: this.#tick,
    });
    const frame = lines.map((line) => `${cursor.clearLine}${line}\n`).join("");
    if (frame === this.#last) return;
    const up = this.#height > 0 ? cursor.up(this.#height) : "";
    this.#stream.write(`${up}${frame}${cursor.clearDown}`);
    this.#height = lines.length;
    this.#last = frame;
  }
}
