// Renders a plain template (see template-scan.ts) without liquid, by liquid's own rules: paths are
// looked up as `Context.readProperty` does (own properties only; `size`, `first` and `last`;
// negative array indexes; a name missing from the scope is read from an empty globals object) and
// values are written as liquid's `stringify` does (nil as "", arrays joined without a separator,
// everything else through `String`). Values liquid treats specially (Drops, `toLiquid`, functions,
// class instances such as Date or Map) are not second-guessed: the render gives up and the caller
// renders with liquid, so the result is liquid's in every case.
import { isBlank, type PathSegment, type PlainOutput } from "./template-scan.js";

const hasOwn = Object.prototype.hasOwnProperty;
const toStringTag = Object.prototype.toString;

/** Thrown, then returned, inside this module when a value needs liquid's own handling. */
const NEEDS_LIQUID: unique symbol = Symbol("needs liquid");

/** liquid's default `globals`: where a name that is not in the scope is read from. */
const GLOBALS: Record<string, unknown> = {};

/**
 * `source` rendered with `scope`, or `undefined` when a value on the way needs liquid (the caller
 * then renders with liquid, which also reports any error). Throws liquid's "template render limit
 * exceeded" when rendering takes longer than `limitMs`, checked before each output as liquid does.
 */
export function renderPlain(source: string, outputs: readonly PlainOutput[], scope: object, limitMs: number): string | undefined {
  const deadline = performance.now() + limitMs;
  let out = "";
  let at = 0;
  let trimNext = false;
  for (const output of outputs) {
    out += text(source, at, output.begin, trimNext, output.trimLeft);
    if (performance.now() > deadline) throw new Error("template render limit exceeded");
    const written = write(scope, output.path);
    if (written === NEEDS_LIQUID) return undefined;
    out += written;
    at = output.end;
    trimNext = output.trimRight;
  }
  return out + text(source, at, source.length, trimNext, false);
}

/** What the output of `path` writes, or NEEDS_LIQUID (also when a getter or `String` throws: liquid reports it). */
function write(scope: object, path: readonly PathSegment[]): string | typeof NEEDS_LIQUID {
  try {
    return stringify(lookup(scope, path));
  } catch {
    return NEEDS_LIQUID;
  }
}

/**
 * The text between two outputs, with blanks dropped after a `-}}` and before a `{{-` (liquid's
 * greedy `trimRight`/`trimLeft` of the HTML token in between; there is none when they touch).
 */
function text(source: string, begin: number, end: number, trimStart: boolean, trimEnd: boolean): string {
  let l = begin;
  let r = end;
  if (trimStart) while (l < r && isBlank(source.charCodeAt(l))) l++;
  if (trimEnd) while (r > l && isBlank(source.charCodeAt(r - 1))) r--;
  return source.slice(l, r);
}

/** liquid's `_get`: the scope holding the root (the scope, else the globals), then each segment. */
function lookup(scope: object, path: readonly PathSegment[]): unknown {
  const root = path[0] as string;
  let value: unknown = readProperty(root in scope ? scope : GLOBALS, root);
  for (let i = 1; i < path.length; i++) value = readProperty(value, path[i]!);
  return value;
}

/** True for arrays and for objects whose prototype is Object.prototype or null, as liquid tags them. */
function isPlainArray(value: object): boolean {
  return Object.getPrototypeOf(value) === Array.prototype && toStringTag.call(value) === "[object Array]";
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && toStringTag.call(value) === "[object Object]";
}

/** liquid's `Context.readProperty` with `ownPropertyOnly`, for plain data. */
function readProperty(obj: unknown, key: PathSegment): unknown {
  if (obj === null || obj === undefined) return obj;
  const isObject = typeof obj === "object";
  // Only plain data is read here (values that are functions never get this far: see below).
  if (isObject && !isPlainArray(obj as object) && !isPlainObject(obj as object)) throw NEEDS_LIQUID;
  if (typeof (obj as { toLiquid?: unknown }).toLiquid === "function") throw NEEDS_LIQUID;
  const array = isObject && Array.isArray(obj);
  if (array && typeof key === "number") return readArrayElement(obj as unknown[], key);
  const value = hasOwn.call(obj, key) ? (obj as Record<PathSegment, unknown>)[key] : undefined;
  if (typeof value === "function") throw NEEDS_LIQUID;
  if (key === "size") return readSize(obj);
  if (key === "first") return array ? readArrayElement(obj as unknown[], 0) : readOwn(obj, "first");
  if (key === "last") return array ? readArrayElement(obj as unknown[], -1) : readOwn(obj, "last");
  return value;
}

function readOwn(obj: unknown, key: string): unknown {
  return hasOwn.call(obj, key) ? (obj as Record<string, unknown>)[key] : undefined;
}

function readArrayElement(array: unknown[], index: number): unknown {
  const i = index < 0 ? array.length + index : index;
  return hasOwn.call(array, i) ? array[i] : undefined;
}

/** liquid's `readSize`: an own or inherited `size`, else the length, else the count of keys. */
function readSize(obj: unknown): unknown {
  const size = (obj as { size?: unknown }).size;
  if (hasOwn.call(obj, "size") || size !== undefined) {
    if (typeof size === "function") throw NEEDS_LIQUID;
    return size;
  }
  if (typeof obj === "string" || Array.isArray(obj)) return (obj as ArrayLike<unknown>).length;
  if (typeof obj === "object") return Object.keys(obj as object).length;
  return undefined;
}

/** liquid's `stringify` for plain data: nil as "", arrays joined without a separator, else `String`. */
function stringify(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (typeof value === "object") {
    if (isPlainArray(value)) {
      let out = "";
      const array = value as unknown[];
      // A hole writes nothing, as in liquid (it maps the array, then joins).
      for (let i = 0; i < array.length; i++) out += stringify(array[i]);
      return out;
    }
    if (!isPlainObject(value)) throw NEEDS_LIQUID;
  } else if (typeof value === "function" || typeof value === "symbol") {
    throw NEEDS_LIQUID;
  }
  return String(value);
}
