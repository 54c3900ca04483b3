// The intent of a step: its template rendered with the context values it reads, which also go to
// the agent as `ctx.inputs`, in their wire form: the bytes each value was encoded to once for the
// whole run, so a value read by many steps, or rendered into the intent too, is not serialised again.
import { OutputNotCloneableError, StrategyValidationError } from "../errors.js";
import type { DependencyGraph } from "../graph/dependency-graph.js";
import { renderTemplate, TEMPLATE_LIMITS } from "../graph/template.js";
import type { WireValue } from "../pool/wire-value.js";

/** A rendered intent and the values its template read, in their wire form. */
export interface Intent {
  intent: string;
  inputs: Record<string, WireValue>;
}

/** A value the run provides to a dynamic step's template (`item`, `index`, `previous`, `iteration`), with its wire form. */
export interface Local {
  value: unknown;
  wire: WireValue;
}

/** The locals of one attempt, by name. */
export type Locals = Readonly<Record<string, Local>>;

/** What a template reads from: the run's context and the wire form of its values (./run-state.ts). */
export interface ContextSource {
  readonly context: ReadonlyMap<string, unknown>;
  wireOf(key: string): WireValue;
}

/**
 * Renders the intent of step `i`; a template that fails or runs past its limits throws
 * `StrategyValidationError`, a value read that cannot be sent to a worker `OutputNotCloneableError`.
 */
export function renderIntent(graph: DependencyGraph, i: number, source: ContextSource, locals?: Locals): Intent {
  // No prototype: a plain {} per step with ever new key sets grows V8's hidden-class tree, and a
  // variable named `__proto__` or `constructor` must be data like any other.
  const scope: Record<string, unknown> = Object.create(null);
  const reads = graph.reads[i]!;
  for (const variable of reads) scope[variable] = source.context.get(graph.contextKey(variable));
  const names = graph.dynamic[i]?.locals;
  if (names !== undefined) for (const name of names) scope[name] = locals?.[name]?.value;
  let intent: string;
  try {
    intent = renderTemplate(graph.steps[i]!.intentTemplate, scope);
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
  const inputs = wireInputs(graph, i, source);
  if (names !== undefined) for (const name of names) inputs[name] = locals?.[name]?.wire;
  return { intent, inputs };
}

function wireInputs(graph: DependencyGraph, i: number, source: ContextSource): Record<string, WireValue> {
  const inputs: Record<string, WireValue> = Object.create(null);
  for (const variable of graph.reads[i]!) {
    try {
      inputs[variable] = source.wireOf(graph.contextKey(variable));
    } catch (cause) {
      // Inputs are checked when `execute` is called: only a value that slipped past that check gets here.
      const step = graph.steps[i]!;
      throw new OutputNotCloneableError(
        `step ${step.stepId} (agent ${step.assignedAgent}) reads ${variable}, a value that cannot be sent to a worker thread (${(cause as Error)?.message ?? String(cause)}); pass plain data`,
        { stepId: step.stepId, agent: step.assignedAgent, path: variable, cause },
      );
    }
  }
  return inputs;
}
