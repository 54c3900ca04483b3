// Text that comes from agents or files (progress and log messages, errors, agent names, step ids,
// the goal) is shown with its control characters escaped, so that it can neither drive the
// terminal (clear the screen, ring the bell, move the cursor, rewrite a line with \r) nor split
// one event into several lines. Every printer of the CLI passes such text through `safeText`.

// C0 controls, DEL, C1 controls (0x9b is a one-byte CSI on some terminals), the Unicode line and
// paragraph separators, and the bidirectional overrides and isolates that reorder what is shown.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escape(ch: string): string {
  const code = ch.charCodeAt(0);
  return SHORT[ch] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`);
}

/**
 * `text` on one line with every control character written as an escape (`\x1b`, `\x07`, `\r`,
 * `\n`), as JSON and `util.inspect` show them. Other text, non-ASCII letters and emoji included, is kept.
 * @example safeText("done\x1b[2J\n") // "done\\x1b[2J\\n"
 */
export function safeText(text: unknown): string {
  return String(text).replace(UNSAFE, escape);
}

/** Like `safeText`, but keeps line breaks: for text meant to span lines (a stack trace). */
export function safeLines(text: string): string {
  return text.split("\n").map(safeText).join("\n");
}
