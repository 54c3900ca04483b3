// Intent templates: what a template reads from the run context, and how it renders. Three kinds,
// from cheapest: text with no output or tag renders to itself; a plain template (text and
// `{{ a.b[0] }}` outputs, see template-scan.ts) is analysed and rendered by a scanner that follows
// liquid's rules exactly; anything else goes to liquidjs, parsed once per text while its text is
// in the cache. A step keeps only the names it reads, never a syntax tree.
import type { Liquid, Template } from "liquidjs";
import { lazyRequire } from "../lazy-require.js";
import { liquidReads } from "./liquid-reads.js";
import { renderPlain } from "./plain-render.js";
import { TemplateCache } from "./template-cache.js";
import { plainReads, scanPlain } from "./template-scan.js";

let engine: Liquid | undefined;

/**
 * Bounds of one template (liquidjs's own limits). Templates render on the main thread, where a
 * loop driven by an upstream output (`{% for i in (1..n) %}` nested, n from a step) would otherwise
 * stall every run; past a bound, the step fails with a `StrategyValidationError`. Expressions
 * (expression.ts) evaluate on the same engine: they have no loops for the time bound to stop
 * (liquid checks it between template nodes), and the memory bound counts what their filters and
 * ranges allocate.
 */
export const TEMPLATE_LIMITS = {
  /** Milliseconds one render may take. */
  renderMs: 250,
  /** Characters and loop items one render may allocate. */
  memory: 64_000_000,
  /** Characters of template source. */
  parse: 10_000_000,
} as const;

/**
 * The engine every liquid template and expression (`forEach`, `when`, `repeat.until`, terminations)
 * is parsed and evaluated with (made on first use): one configuration, one set of limits.
 */
export function liquidEngine(): Liquid {
  return (engine ??= new (lazyRequire<typeof import("liquidjs")>("liquidjs").Liquid)({
    cache: false,
    renderLimit: TEMPLATE_LIMITS.renderMs,
    memoryLimit: TEMPLATE_LIMITS.memory,
    parseLimit: TEMPLATE_LIMITS.parse,
  }));
}

/** A parsed liquid template and the names it reads. */
interface LiquidEntry {
  templates: Template[];
  reads: readonly string[];
}

/** Up to 1,000 liquid templates of up to a million characters in all stay parsed. */
const parsed = new TemplateCache<LiquidEntry>(1_000, 1_000_000);

/** How a template is analysed and rendered: see the file comment. */
export type TemplateKind = "text" | "plain" | "liquid";

const NO_READS: readonly string[] = Object.freeze([]);

/** Text with no output and no tag: it renders to itself and reads nothing. */
function isText(source: string): boolean {
  return !source.includes("{{") && !source.includes("{%");
}

/** Which path analyses and renders `source` (whether liquid accepts it or not). */
export function templateKind(source: string): TemplateKind {
  if (isText(source)) return "text";
  return source.length <= TEMPLATE_LIMITS.parse && plainReads(source) !== undefined ? "plain" : "liquid";
}

/**
 * Root names of the global variables `source` reads from the run context (`research` for
 * `{{ research.a[0] }}`), in liquid's order; throws liquidjs's own error on bad syntax. This is
 * all a step keeps of its template: rendering finds the rest again from the text.
 */
export function templateReads(source: string): readonly string[] {
  if (isText(source)) return NO_READS;
  const reads = source.length <= TEMPLATE_LIMITS.parse ? plainReads(source) : undefined;
  return reads ?? parseLiquid(source).reads;
}

/** The cached parse of `source`, parsing and analysing it on a miss. */
function parseLiquid(source: string): LiquidEntry {
  let entry = parsed.get(source);
  if (entry === undefined) {
    const templates = liquidEngine().parse(source);
    entry = { templates, reads: Object.freeze(liquidReads(liquidEngine(), templates)) };
    parsed.set(source, entry);
  }
  return entry;
}

/** Renders a template that `templateReads` accepted, with the values it reads (liquid's output, whichever path renders it). */
export function renderTemplate(source: string, scope: Record<string, unknown>): string {
  if (isText(source)) return source;
  const outputs = source.length <= TEMPLATE_LIMITS.parse ? scanPlain(source) : undefined;
  if (outputs !== undefined) {
    const out = renderPlain(source, outputs, scope, TEMPLATE_LIMITS.renderMs);
    if (out !== undefined) return out;
  }
  return liquidEngine().renderSync(parseLiquid(source).templates, scope) as string;
}
