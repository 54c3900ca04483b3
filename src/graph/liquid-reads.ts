// The global variables a parsed liquid template reads: liquidjs's `globalVariablesSync`, computed by
// the same walk over the same tag methods (`arguments`, `localScope`, `blockScope`, `children`) but
// without what it costs there: a generator driver around every step, a `Variable` per read, and a
// row and column per read found by scanning the source from its start (quadratic in the template).
// Templates that pull in partials (`include`, `render`, `layout`) are left to liquid itself.
import type { Liquid, PropertyAccessToken, Template, Value, ValueToken } from "liquidjs";
import { lazyRequire } from "../lazy-require.js";

/** A variable's path as liquid's analysis sees it: names and indexes, nested arrays for nested paths (`a[b]`). */
type Segments = (string | number | Segments)[];

/** The lexical scope of the walk (liquid's `DummyScope` without the aliases only partials set). */
class Scope {
  readonly #stack: Set<string>[] = [new Set()];

  has(name: string): boolean {
    for (const names of this.#stack) if (names.has(name)) return true;
    return false;
  }

  /** `assign`, `capture`, `increment` and `decrement` define their name for the rest of the template. */
  add(name: string): void {
    this.#stack[0]!.add(name);
  }

  push(names: Iterable<string>): void {
    this.#stack.push(new Set(names));
  }

  pop(): void {
    this.#stack.pop();
  }
}

/** Thrown inside the walk when a template uses partials. */
const PARTIALS: unique symbol = Symbol("partials");

/** Root names of the variables `templates` read from the render scope, in liquid's order. */
export function liquidReads(engine: Liquid, templates: Template[]): string[] {
  const walk = new ReadsWalk();
  try {
    for (const template of templates) walk.visit(template);
  } catch (error) {
    if (error !== PARTIALS) throw error;
    return engine.globalVariablesSync(templates);
  }
  return inLiquidOrder(walk.globals);
}

/** Root names of the variables a value expression (`outline.topics | size`, `a.score < 0.8`) reads. */
export function valueReads(value: Value): string[] {
  const walk = new ReadsWalk();
  walk.value(value);
  return inLiquidOrder(walk.globals);
}

/** liquid lists reads as the keys of an object: names that are array indexes ("0") come first. */
function inLiquidOrder(names: Iterable<string>): string[] {
  const keys: Record<string, true> = Object.create(null);
  for (const name of names) keys[name] = true;
  return Object.keys(keys);
}

let liquidjs: typeof import("liquidjs") | undefined;

class ReadsWalk {
  readonly globals = new Set<string>();
  readonly #scope = new Scope();
  readonly #liquid = (liquidjs ??= lazyRequire<typeof import("liquidjs")>("liquidjs"));

  visit(template: Template): void {
    if (template.arguments) {
      for (const argument of template.arguments()) this.#argument(argument);
    }
    if (template.localScope) {
      for (const identifier of template.localScope()) this.#scope.add(identifier.content);
    }
    if (!template.children) return;
    if (template.partialScope) throw PARTIALS;
    const names = template.blockScope?.();
    if (names) this.#scope.push(names);
    for (const child of this.#liquid.toValueSync(template.children(true, true)) as Template[]) this.visit(child);
    if (names) this.#scope.pop();
  }

  /** A value on its own, as a tag's argument would be read. */
  value(value: Value): void {
    this.#argument(value);
  }

  /** liquid's `extractVariables` for one argument: a value token, or a value with filters. */
  #argument(argument: unknown): void {
    const { TypeGuards, Value } = this.#liquid;
    if (TypeGuards.isValueToken(argument)) this.#valueToken(argument);
    else if (argument instanceof Value) this.#filtered(argument.initial.postfix, argument.filters);
  }

  /** An expression's operands, then every filter's arguments (positional and `key: value`). */
  #filtered(postfix: readonly unknown[], filters: readonly { args: readonly unknown[] }[]): void {
    const { TypeGuards } = this.#liquid;
    for (const token of postfix) if (TypeGuards.isValueToken(token)) this.#valueToken(token);
    for (const filter of filters) {
      for (const arg of filter.args) {
        if (Array.isArray(arg)) {
          if (arg[1]) this.#valueToken(arg[1] as ValueToken);
        } else if (TypeGuards.isValueToken(arg)) {
          this.#valueToken(arg);
        }
      }
    }
  }

  #valueToken(token: ValueToken): void {
    const { TypeGuards } = this.#liquid;
    if (TypeGuards.isRangeToken(token)) {
      this.#valueToken(token.lhs);
      this.#valueToken(token.rhs);
    } else if (TypeGuards.isFilteredValueToken(token)) {
      this.#filtered(token.initial.postfix, token.filters);
    } else if (TypeGuards.isPropertyAccessToken(token)) {
      this.#read(this.#segments(token));
    }
  }

  /** liquid's `updateVariables`: a string root not defined in scope is a global; then the nested paths. */
  #read(segments: Segments): void {
    const root = segments[0];
    if (typeof root === "string" && !this.#scope.has(root)) this.globals.add(root);
    for (const segment of segments) if (Array.isArray(segment)) this.#read(segment);
  }

  /**
   * liquid's `extractPropertyAccessVariable`: the path from `props` (a leading literal, string or
   * range, as in `"abc".size`, is not part of it). liquid flattens a nested path in first place
   * (`[a].b`) into this one; kept nested here, it reads the same names in the same order.
   */
  #segments(token: PropertyAccessToken): Segments {
    const { TypeGuards } = this.#liquid;
    const segments: Segments = [];
    for (const prop of token.props) {
      if (TypeGuards.isQuotedToken(prop) || TypeGuards.isNumberToken(prop) || TypeGuards.isWordToken(prop)) {
        segments.push(prop.content as string | number);
      } else if (TypeGuards.isPropertyAccessToken(prop)) {
        segments.push(this.#segments(prop));
      }
    }
    return segments;
  }
}
