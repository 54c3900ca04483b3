// The intent of a step: its template rendered with the context values it reads, which also go to
// the agent as `ctx.inputs`.
import { StrategyValidationError } from "../errors.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import { renderTemplate, TEMPLATE_LIMITS } from "../graph/template.js";

/** A rendered intent and the values its template read. */
export interface Intent {
  intent: string;
  inputs: Record<string, unknown>;
}

/** Renders the intent of step `i`; a template that fails or runs past its limits throws `StrategyValidationError`. */
export function renderIntent(graph: DependencyGraph, i: number, context: ReadonlyMap<string, unknown>): Intent {
  // No prototype: a plain {} per step with ever new key sets grows V8's hidden-class tree, and a
  // variable named `__proto__` or `constructor` must be data like any other.
  const inputs: Record<string, unknown> = Object.create(null);
  for (const variable of graph.reads[i]!) inputs[variable] = context.get(graph.contextKey(variable));
  try {
    return { intent: renderTemplate(graph.steps[i]!.intentTemplate, inputs), inputs };
  } catch (cause) {
    const step = graph.steps[i]!;
    const message = (cause as Error)?.message ?? String(cause);
    const hint = /limit exceeded/.test(message)
      ? `; intents render on the main thread within ${TEMPLATE_LIMITS.renderMs} ms and ${TEMPLATE_LIMITS.memory} characters or loop items: a loop over a large upstream value belongs in an agent`
      : "";
    throw new StrategyValidationError(
      `the intent template of step ${step.stepId} failed to render: ${message}${hint}`,
      { path: `steps[${i}].intent`, stepId: step.stepId, agent: step.assignedAgent, cause },
    );
  }
}
