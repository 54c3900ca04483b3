// The few ANSI escapes the CLI uses: colours (off under NO_COLOR or without a TTY), cursor
// movement for the live display, and width-aware truncation so that a line never wraps.
import { stripVTControlCharacters } from "node:util";

export interface Palette {
  enabled: boolean;
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  magenta(text: string): string;
  cyan(text: string): string;
}

const wrap = (open: number, close: number) => (text: string): string => `\x1b[${open}m${text}\x1b[${close}m`;
const plain = (text: string): string => text;

/** Colours on or off. */
export function palette(enabled: boolean): Palette {
  if (!enabled) {
    return { enabled, bold: plain, dim: plain, red: plain, green: plain, yellow: plain, blue: plain, magenta: plain, cyan: plain };
  }
  return {
    enabled, bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39),
    blue: wrap(34, 39), magenta: wrap(35, 39), cyan: wrap(36, 39),
  };
}

/**
 * Whether to colour what goes to `stream`: only on a terminal that has colours, as Node's
 * `hasColors()` decides it (NO_COLOR, NODE_DISABLE_COLORS, FORCE_COLOR, TERM=dumb).
 */
export function wantsColour(stream: NodeJS.WriteStream): boolean {
  return stream.isTTY === true && stream.hasColors();
}

export const cursor = {
  hide: "\x1b[?25l",
  show: "\x1b[?25h",
  /** To the start of the line `n` lines up (n >= 1). */
  up: (n: number): string => `\x1b[${n}F`,
  clearLine: "\x1b[2K",
  /** Clears from the cursor to the end of the screen. */
  clearDown: "\x1b[J",
};

// Matches an SGR colour sequence at a position, the only escapes we put inside a line.
// eslint-disable-next-line no-control-regex
const SGR_AT = /\x1b\[[0-9;]*m/y;

/** Length of `text` on screen, escapes aside (every code point counts as one column). */
export function visibleLength(text: string): number {
  let n = 0;
  for (const _ of stripVTControlCharacters(text)) n++;
  return n;
}

/** Cuts `text` to at most `width` visible columns, keeping escapes intact and ending with "…" when cut. */
export function truncate(text: string, width: number): string {
  if (visibleLength(text) <= width) return text;
  let out = "";
  let n = 0;
  let i = 0;
  while (i < text.length && n < width - 1) {
    SGR_AT.lastIndex = i;
    const m = SGR_AT.exec(text);
    if (m !== null) {
      out += m[0];
      i += m[0].length;
      continue;
    }
    const ch = String.fromCodePoint(text.codePointAt(i)!);
    out += ch;
    i += ch.length;
    n++;
  }
  // Anything still open is closed by a full reset after the ellipsis.
  return out.includes("\x1b[") ? `${out}…\x1b[0m` : `${out}…`;
}
