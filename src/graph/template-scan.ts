// A scanner for plain templates: text and `{{ path }}` outputs whose path is a name followed by
// `.name`, `[0]`, `[-1]` or `["key"]`, with `{{-`/`-}}` whitespace control and nothing else. Most
// intents are such templates, and at 100,000 steps a full liquid parse of each was most of the
// time and memory of building a strategy. Everything here mirrors liquidjs's own tokenizer
// (`readTopLevelTokens`, `readToDelimiter`, `DelimitedToken`, `readProperties`), so a template the
// scanner accepts parses in liquid to the same outputs; anything else is left to liquid.

/** One segment of an output's path: a property name or an array index. */
export type PathSegment = string | number;

/** An output of a plain template: where it is, its path, and its whitespace control. */
export interface PlainOutput {
  /** Index of the opening `{{`. */
  begin: number;
  /** Index just past the closing `}}`. */
  end: number;
  /** The path; the first segment is the root variable's name. */
  path: PathSegment[];
  /** `{{-`: blanks before the output are dropped. */
  trimLeft: boolean;
  /** `-}}`: blanks after the output are dropped. */
  trimRight: boolean;
}

const OPEN = 123; // {
const CLOSE = 125; // }
const PERCENT = 37; // %
const DASH = 45; // -
const DOT = 46; // .
const BRACKET = 91; // [
const END_BRACKET = 93; // ]
const DOUBLE_QUOTE = 34;
const SINGLE_QUOTE = 39;
const BACKSLASH = 92;

/**
 * Names that liquid reads as a literal or an operator, not a variable, when they start an output
 * (`{{ nil }}`, `{{ empty.size }}`, `{{ not }}`): such outputs are left to liquid.
 */
const RESERVED = ["true", "false", "nil", "null", "empty", "blank", "and", "or", "not", "contains"];

/** True if source[l, end) is one of RESERVED (compared in place: no string per output). */
function isReserved(source: string, l: number, end: number): boolean {
  const length = end - l;
  for (const word of RESERVED) if (word.length === length && source.startsWith(word, l)) return true;
  return false;
}

/** liquid's BLANK character class (its `TYPES` table): what `{{-`/`-}}` trim and what pads an output. */
export function isBlank(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 160) return false;
  return code === 160 || code === 5760 || code === 6158 || (code >= 8192 && code <= 8202) ||
    code === 8232 || code === 8233 || code === 8239 || code === 8287 || code === 12288;
}

/** `[A-Za-z_]`: the characters a variable name may start with here (liquid allows more; those go to liquid). */
function isNameStart(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95;
}

/** `[A-Za-z0-9_-]`: a subset of liquid's word characters (liquid also takes `?` and non-ASCII). */
function isNamePart(code: number): boolean {
  return isNameStart(code) || (code >= 48 && code <= 57) || code === DASH;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** Where an output is, as `nextOutput` finds it. */
interface OutputRange {
  /** The opening `{{` and past the closing `}}`. */
  begin: number;
  end: number;
  /** The content between the delimiters, `-` and blanks trimmed (liquid's `contentRange`). */
  l: number;
  r: number;
  trimLeft: boolean;
  trimRight: boolean;
}

const FOUND = 1;
const DONE = 0;
const NOT_PLAIN = -1;

/**
 * Finds the first output at or after `from` and fills `at` with it: FOUND; DONE when only text
 * is left; NOT_PLAIN at a tag, an output that is not closed or one whose content is not a path.
 */
function nextOutput(source: string, from: number, at: OutputRange): number {
  const n = source.length;
  let p = source.indexOf("{", from);
  while (p !== -1 && p < n - 1) {
    const next = source.charCodeAt(p + 1);
    if (next === PERCENT) return NOT_PLAIN;
    if (next === OPEN) {
      const end = outputEnd(source, p);
      if (end === -1) return NOT_PLAIN; // not closed: liquid reports it
      at.begin = p;
      at.end = end;
      at.trimLeft = source.charCodeAt(p + 2) === DASH;
      at.trimRight = source.charCodeAt(end - 3) === DASH;
      let l = at.trimLeft ? p + 3 : p + 2;
      let r = at.trimRight ? end - 3 : end - 2;
      while (l < r && isBlank(source.charCodeAt(l))) l++;
      while (r > l && isBlank(source.charCodeAt(r - 1))) r--;
      at.l = l;
      at.r = r;
      return FOUND;
    }
    p = source.indexOf("{", p + 1);
  }
  return DONE;
}

/** Scratch for the scans: they run to completion, one at a time. */
const at: OutputRange = { begin: 0, end: 0, l: 0, r: 0, trimLeft: false, trimRight: false };
const seen: string[] = [];

/**
 * The root variables a plain template reads, each once, in order of first use (liquid's order),
 * or `undefined` if `source` is not a plain template. Allocates little more than the result: this
 * runs once per step as strategies are built.
 */
export function plainReads(source: string): string[] | undefined {
  let count = 0;
  let many: Set<string> | undefined;
  let status: number;
  for (let from = 0; (status = nextOutput(source, from, at)) === FOUND; from = at.end) {
    const rootEnd = pathRootEnd(source, at.l, at.r);
    if (rootEnd === -1) return undefined;
    const length = rootEnd - at.l;
    let known = false;
    if (many === undefined) {
      for (let k = 0; k < count && !known; k++) known = seen[k]!.length === length && source.startsWith(seen[k]!, at.l);
    } else {
      known = many.has(source.slice(at.l, rootEnd));
    }
    if (known) continue;
    const root = source.slice(at.l, rootEnd);
    seen[count++] = root;
    if (many !== undefined) many.add(root);
    else if (count === 32) many = new Set(seen.slice(0, count));
  }
  // An exact-size copy: a pushed-to array keeps room for 17 entries, most of a step's memory.
  const reads = status === DONE ? seen.slice(0, count) : undefined;
  if (count > 64) seen.length = 0; // the scratch keeps a few names, not a large template's
  return reads;
}

/** The outputs of `source` with their paths, or `undefined` if it is not a plain template. */
export function scanPlain(source: string): PlainOutput[] | undefined {
  const outputs: PlainOutput[] = [];
  let status: number;
  for (let from = 0; (status = nextOutput(source, from, at)) === FOUND; from = at.end) {
    const path = readPath(source, at.l, at.r);
    if (path === undefined) return undefined;
    outputs.push({ begin: at.begin, end: at.end, path, trimLeft: at.trimLeft, trimRight: at.trimRight });
  }
  return status === DONE ? outputs : undefined;
}

/**
 * Index past the `}}` that closes the output opened at `begin`, skipping quoted strings as
 * liquid's `readToDelimiter(…, respectQuoted)` does; -1 when it is never closed.
 */
function outputEnd(source: string, begin: number): number {
  const n = source.length;
  let p = begin;
  while (p < n) {
    const c = source.charCodeAt(p);
    if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
      p = quotedEnd(source, p);
      continue;
    }
    p++;
    if (p >= 2 && source.charCodeAt(p - 1) === CLOSE && source.charCodeAt(p - 2) === CLOSE) return p;
  }
  return -1;
}

/** liquid's `readQuoted`: index past the quote that closes the one at `begin` (or the end of input). */
function quotedEnd(source: string, begin: number): number {
  const quote = source.charCodeAt(begin);
  const n = source.length;
  let p = begin + 1;
  let escaped = false;
  while (p < n) {
    const c = source.charCodeAt(p++);
    if (c === quote && !escaped) break;
    if (escaped) escaped = false;
    else if (c === BACKSLASH) escaped = true;
  }
  return p;
}

/** The path that is exactly source[l, r), or `undefined` if that is anything else. */
function readPath(source: string, l: number, r: number): PathSegment[] | undefined {
  const path: PathSegment[] = [];
  return walkPath(source, l, r, path) === -1 ? undefined : path;
}

/** Where the root name of the path that is exactly source[l, r) ends, or -1 if that is no path. */
function pathRootEnd(source: string, l: number, r: number): number {
  return walkPath(source, l, r, undefined);
}

/**
 * Checks that source[l, r) is a path (`name`, then `.name`, `[12]`, `[-1]`, `["key"]` or `['key']`)
 * and pushes its segments to `path` if given; returns where the root name ends, or -1.
 */
function walkPath(source: string, l: number, r: number, path: PathSegment[] | undefined): number {
  let i = l;
  if (i >= r || !isNameStart(source.charCodeAt(i))) return -1;
  while (i < r && isNamePart(source.charCodeAt(i))) i++;
  const rootEnd = i;
  if (isReserved(source, l, rootEnd)) return -1;
  path?.push(source.slice(l, rootEnd));
  while (i < r) {
    const c = source.charCodeAt(i);
    if (c === DOT) {
      const start = ++i;
      while (i < r && isNamePart(source.charCodeAt(i))) i++;
      if (i === start) return -1;
      path?.push(source.slice(start, i));
    } else if (c === BRACKET) {
      i = walkBracket(source, i + 1, r, path);
      if (i === -1) return -1;
    } else {
      return -1;
    }
  }
  return rootEnd;
}

/** `"key"]`, `'key']` (no escapes) or `-12]` from `i`: pushes the key or index, returns the index past `]` or -1. */
function walkBracket(source: string, i: number, r: number, path: PathSegment[] | undefined): number {
  const c = source.charCodeAt(i);
  if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
    const close = source.indexOf(c === DOUBLE_QUOTE ? '"' : "'", i + 1);
    if (close === -1 || close + 1 >= r || source.charCodeAt(close + 1) !== END_BRACKET) return -1;
    const backslash = source.indexOf("\\", i + 1);
    if (backslash !== -1 && backslash < close) return -1;
    path?.push(source.slice(i + 1, close));
    return close + 2;
  }
  let j = c === DASH ? i + 1 : i;
  const digits = j;
  while (j < r && isDigit(source.charCodeAt(j))) j++;
  if (j === digits || j >= r || source.charCodeAt(j) !== END_BRACKET) return -1;
  path?.push(Number(source.slice(i, j)));
  return j + 1;
}
