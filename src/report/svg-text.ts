// Text in a hand-written SVG: escaping for XML, widths estimated without a font at hand, cutting
// to fit, and coordinates short enough to keep the file small and stable.

// Sans-serif glyphs average a bit over half an em; erring wide keeps labels inside their room.
const CHAR_WIDTH = 0.62;

/** The width `text` takes at `fontSize`, estimated on the wide side. */
export function textWidth(text: string, fontSize: number): number {
  return Array.from(text).length * fontSize * CHAR_WIDTH;
}

/** How many characters fit in `width` pixels at `fontSize`. */
export function charsIn(width: number, fontSize: number): number {
  return Math.max(0, Math.floor(width / (fontSize * CHAR_WIDTH)));
}

/**
 * Cuts to `max` code points with an ellipsis in the middle, since ids tend to differ at the end
 * (`step_12`, `step_13`); gives "" when fewer than `least` characters would be left to read.
 */
export function truncateMiddle(text: string, max: number, least = 3): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  if (max - 1 < least) return "";
  const tail = Math.floor((max - 1) / 2);
  return chars.slice(0, max - 1 - tail).join("") + "…" + chars.slice(chars.length - tail).join("");
}

/** Cuts to `max` code points with an ellipsis at the end, for prose such as a title. */
export function truncateEnd(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return max < 2 ? "" : chars.slice(0, max - 1).join("").trimEnd() + "…";
}

/** Breaks prose into lines of at most `max` code points, at spaces (a longer word is cut with an ellipsis). */
export function wrapText(text: string, max: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ").filter((w) => w !== "")) {
    const next = line === "" ? word : `${line} ${word}`;
    if (Array.from(next).length <= max) { line = next; continue; }
    if (line !== "") lines.push(line);
    line = truncateEnd(word, max);
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** A coordinate rounded to a tenth of a pixel. */
export function num(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** Escapes markup and replaces what XML 1.0 cannot hold at all (control characters, lone surrogates). */
export function xml(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex -- these are exactly the characters XML forbids
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd")
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
