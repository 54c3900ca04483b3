// The winston logger of `wavepool run`: one readable line per entry (`warn  step_2: message {meta}`),
// handed to the progress display so that log lines land above the live frame, not through it.
import { Writable } from "node:stream";
import winston from "winston";
import type { Palette } from "./ansi.js";
import type { ProgressDisplay } from "./progress-live.js";
import { safeText } from "./safe-text.js";

/** winston's npm levels, most severe first: what `--log-level` accepts. */
export const LOG_LEVELS = Object.keys(winston.config.npm.levels);

// Fields every entry of a run carries; the line shows the step instead of repeating them.
const ROUTINE = new Set(["level", "message", "runId", "stepId", "agent", "wave", "threadId", "attempt", "service", "timestamp"]);

export function cliLogger(level: string, display: Pick<ProgressDisplay, "log">, c: Palette): winston.Logger {
  const tone: Record<string, (text: string) => string> = { error: c.red, warn: c.yellow, info: c.cyan };
  const line = winston.format.printf((info) => {
    const meta = Object.fromEntries(Object.entries(info).filter(([key]) => !ROUTINE.has(key)));
    // The message and its fields come from agents: escaped, so that one entry stays one line.
    const where = typeof info.stepId === "string" ? `${safeText(info.stepId)}: ` : "";
    const extra = Object.keys(meta).length > 0 ? ` ${c.dim(safeText(safeJson(meta)))}` : "";
    return `${(tone[info.level] ?? c.dim)(safeText(info.level).padEnd(5))} ${where}${safeText(info.message)}${extra}`;
  });
  const sink = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, done) {
      display.log(String(chunk).replace(/\r?\n$/, ""));
      done();
    },
  });
  return winston.createLogger({ level, format: line, transports: [new winston.transports.Stream({ stream: sink })] });
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  } catch {
    return "[unserialisable]";
  }
}
