// Intent templates: one liquidjs engine for parsing, static analysis and rendering.
// Dependencies come from liquidjs's own analysis of the parsed template (global variables),
// so loops, filters, `assign` and nested paths are understood the way liquid runs them.
import type { Liquid, Template } from "liquidjs";
import { lazyRequire } from "../lazy-require.js";

let engine: Liquid | undefined;

/**
 * Bounds of one template (liquidjs's own limits). Templates render on the main thread, where a
 * loop driven by an upstream output (`{% for i in (1..n) %}` nested, n from a step) would otherwise
 * stall every run; past a bound, the step fails with a `StrategyValidationError`.
 */
export const TEMPLATE_LIMITS = {
  /** Milliseconds one render may take. */
  renderMs: 250,
  /** Characters and loop items one render may allocate. */
  memory: 64_000_000,
  /** Characters of template source. */
  parse: 10_000_000,
} as const;

/** The engine every intent is parsed and rendered with (made on first use). */
function liquid(): Liquid {
  return (engine ??= new (lazyRequire<typeof import("liquidjs")>("liquidjs").Liquid)({
    cache: false,
    renderLimit: TEMPLATE_LIMITS.renderMs,
    memoryLimit: TEMPLATE_LIMITS.memory,
    parseLimit: TEMPLATE_LIMITS.parse,
  }));
}

/** A parsed intent template and the root variables it reads from the run context. */
export interface ParsedTemplate {
  source: string;
  templates: Template[];
  /** Root names of the global variables the template reads (`research` for `{{ research.a[0] }}`). */
  reads: string[];
  /** True when the template has no tags or outputs: rendering is the identity. */
  isStatic: boolean;
}

/** Parses and analyses a template; throws liquidjs's own error on bad syntax. */
export function parseTemplate(source: string): ParsedTemplate {
  // Plain text (no output, no tag) needs no parser: it renders to itself and reads nothing.
  if (!source.includes("{{") && !source.includes("{%")) return { source, templates: [], reads: [], isStatic: true };
  const templates = liquid().parse(source);
  return { source, templates, reads: liquid().globalVariablesSync(templates), isStatic: false };
}

/** Renders a parsed template with the values it reads. */
export function renderTemplate(template: ParsedTemplate, scope: Record<string, unknown>): string {
  if (template.isStatic) return template.source;
  return liquid().renderSync(template.templates, scope) as string;
}
