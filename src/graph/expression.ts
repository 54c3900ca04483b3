// Liquid expressions: a step's `forEach`, `when` and `repeat.until`, a termination's `when`. Each
// text is compiled once (liquid's own tokenizer, then a check that all of it is one well-formed
// expression, which liquid alone does not make: it reads `a b` as `a`), its reads found by the walk
// that finds a template's, and evaluated by liquid on the engine templates render with, under the
// same limits. Evaluation runs on the main thread, as template rendering does.
import type { Context, Liquid, Value, ValueToken } from "liquidjs";
import { lazyRequire } from "../lazy-require.js";
import { didYouMean } from "../suggest.js";
import { valueReads } from "./liquid-reads.js";
import { liquidEngine } from "./template.js";
import { TemplateCache } from "./template-cache.js";

/**
 * A liquid expression, compiled: what it reads and how to evaluate it. Immutable, shared by every
 * step with the same text.
 * @example
 * const when = compileExpression("review.score < 0.8");
 * when.reads;                                // ["review"]
 * when.test({ review: { score: 0.5 } });     // true
 * compileExpression("outline.topics").evaluate({ outline: { topics: ["a", "b"] } }); // ["a", "b"]
 */
export interface CompiledExpression {
  /** The expression as written. */
  readonly text: string;
  /** Root names of the variables it reads (`review` for `review.score < 0.8`), in liquid's order. */
  readonly reads: readonly string[];
  /**
   * Its value with `scope` (root names to values; a name missing from it is nil): an array for
   * `outline.topics`, a boolean for a comparison, any value for a filter chain. Throws liquid's
   * error when evaluation fails (a filter that throws, the memory limit).
   */
  evaluate(scope: Readonly<Record<string, unknown>>): unknown;
  /** Liquid truthiness of its value: only false, nil (null) and undefined are false (0 and "" are true). */
  test(scope: Readonly<Record<string, unknown>>): boolean;
}

let liquidjs: typeof import("liquidjs") | undefined;
const lib = (): typeof import("liquidjs") => (liquidjs ??= lazyRequire<typeof import("liquidjs")>("liquidjs"));

/** Up to 1,000 expressions of up to a million characters in all stay compiled (generated workflows repeat them). */
const compiled = new TemplateCache<CompiledExpression>(1_000, 1_000_000);

/**
 * Compiles `text`; throws an `Error` saying what is wrong with it (liquid's own message for what
 * liquid refuses). Callers wrap it with the path of the field it came from.
 */
export function compileExpression(text: string): CompiledExpression {
  let expression = compiled.get(text);
  if (expression === undefined) {
    expression = new LiquidExpression(text, liquidEngine());
    compiled.set(text, expression);
  }
  return expression;
}

class LiquidExpression implements CompiledExpression {
  readonly text: string;
  readonly reads: readonly string[];
  readonly #value: Value;
  readonly #engine: Liquid;

  constructor(text: string, engine: Liquid) {
    this.text = text;
    this.#engine = engine;
    this.#value = parse(text, engine);
    this.reads = Object.freeze(valueReads(this.#value));
  }

  evaluate(scope: Readonly<Record<string, unknown>>): unknown {
    return this.#evaluate(this.#context(scope));
  }

  test(scope: Readonly<Record<string, unknown>>): boolean {
    const context = this.#context(scope);
    return lib().isTruthy(this.#evaluate(context), context);
  }

  /** A fresh context per evaluation: its memory limiter counts this evaluation only. */
  #context(scope: Readonly<Record<string, unknown>>): Context {
    return new (lib().Context)(scope, this.#engine.options, { sync: true }, { liquid: this.#engine });
  }

  #evaluate(context: Context): unknown {
    const { toValue, toValueSync } = lib();
    // toValue: a literal such as `empty` evaluates to a liquid Drop; callers get its plain value.
    return toValue(toValueSync(this.#value.value(context)));
  }
}

/** Liquid's parse of `text` as one filtered value, refusing what liquid would silently cut short. */
function parse(text: string, engine: Liquid): Value {
  if (/^\s*\{[{%]/.test(text)) throw new Error(`write the expression without {{ }} or {% %}, e.g. "review.score < 0.8", got ${JSON.stringify(text)}`);
  const { Tokenizer, Value } = lib();
  const tokenizer = new Tokenizer(text, engine.options.operators);
  const token = tokenizer.readFilteredValue();
  const rest = tokenizer.remaining().trim();
  if (rest !== "") throw new Error(`unexpected ${JSON.stringify(rest)} after the expression ${JSON.stringify(text.slice(0, text.length - tokenizer.remaining().length).trim())}`);
  if (/\|\s*$/.test(text)) throw new Error(`a filter name is missing after the last "|" in ${JSON.stringify(text)}`);
  checkOperands(token.initial.postfix, text);
  for (const filter of token.filters) {
    if (!Object.hasOwn(engine.filters, filter.name)) {
      const guess = didYouMean(filter.name, Object.keys(engine.filters));
      throw new Error(`unknown filter ${JSON.stringify(filter.name)}${guess === undefined ? "" : `; did you mean ${JSON.stringify(guess)}?`}`);
    }
    for (const arg of filter.args) checkQuoted(Array.isArray(arg) ? arg[1] : arg, text);
  }
  return new Value(token, engine);
}

/**
 * The operators of `postfix` (liquid's evaluation order) each find their operands, and one value
 * is left: `a b`, `a ==` and `not` alone are refused (liquid would evaluate them to `a`, `false`, nil).
 */
function checkOperands(postfix: readonly unknown[], text: string): void {
  const { TypeGuards } = lib();
  let depth = 0;
  for (const token of postfix) {
    if (TypeGuards.isOperatorToken(token)) {
      const arity = token.operator === "not" ? 1 : 2;
      if (depth < arity) throw new Error(`the operator "${token.operator}" is missing ${arity === 1 ? "its operand" : "an operand"} in ${JSON.stringify(text)}`);
      depth -= arity - 1;
    } else {
      checkQuoted(token as ValueToken, text);
      depth++;
    }
  }
  if (depth !== 1) throw new Error(`expected one value, found ${depth} side by side in ${JSON.stringify(text)}; join conditions with "and" or "or"`);
}

/** A quoted string must be closed: liquid reads `'fr` as the string "f". */
function checkQuoted(token: ValueToken | undefined, text: string): void {
  if (token === undefined || !lib().TypeGuards.isQuotedToken(token)) return;
  const quoted = token.input.slice(token.begin, token.end);
  if (quoted.length < 2 || quoted[quoted.length - 1] !== quoted[0]) {
    throw new Error(`the string ${quoted} is not closed in ${JSON.stringify(text)}`);
  }
}

/**
 * The scope an expression (or a template) is evaluated with: each name in `reads` from `locals`
 * if there (`item`, `index`, `previous`, `iteration`, a repeat step's own output), else `valueOf`
 * its context key (`contextKey` maps `<stepId>_output` to the step's output key). No prototype:
 * a variable named `constructor` is data like any other.
 * @example expressionScope(when.reads, graph.contextKey, (key) => context.get(key))
 */
export function expressionScope(
  reads: readonly string[],
  contextKey: (variable: string) => string,
  valueOf: (key: string) => unknown,
  locals?: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const scope: Record<string, unknown> = Object.create(null);
  for (const name of reads) scope[name] = locals !== undefined && Object.hasOwn(locals, name) ? locals[name] : valueOf(contextKey(name));
  return scope;
}
