// Preflight's check that everything a strategy reads exists: every variable a template, a step's
// expression or a termination reads is an output, `task`, or a run input.
import { UnknownInputError } from "../errors.js";
import { didYouMean } from "../suggest.js";
import type { DependencyGraph } from "./dependency-graph.js";
import { localHint } from "./locals.js";

/**
 * Throws `UnknownInputError` naming the step (or termination), its agent, the variable and the
 * field that reads it (`steps[2].when`, `terminate[0].when`) for the first variable that does not
 * exist: no step produces it and `available` (`task` and the run's inputs) does not have it.
 */
export function checkInputs(graph: DependencyGraph, available: ReadonlySet<string>): void {
  graph.externalReads.forEach((vars, i) => {
    for (const variable of vars) {
      if (available.has(variable)) continue;
      const step = graph.steps[i]!;
      const field = fieldReading(graph, i, variable);
      const where = field === "intent" ? `reads {{ ${variable} }}` : `reads ${variable} in its ${field} expression`;
      throw new UnknownInputError(
        `step ${step.stepId} (agent ${step.assignedAgent}) ${where}, which no step produces and no input provides; ${remedy(graph, available, variable, field === "intent")}`,
        { path: `steps[${i}].${field}`, stepId: step.stepId, agent: step.assignedAgent, variable },
      );
    }
  });
  for (const termination of graph.terminations) {
    for (const variable of termination.externalReads) {
      if (available.has(variable)) continue;
      const field = termination.when.reads.includes(variable) ? "when" : "reason";
      throw new UnknownInputError(
        `the ${field} of terminate[${termination.index}] reads ${variable}, which no step produces and no input provides; ${remedy(graph, available, variable, false)}`,
        { path: `terminate[${termination.index}].${field}`, variable },
      );
    }
  }
}

/** Which field of step `i` reads `variable`: its template first, then its expressions. */
function fieldReading(graph: DependencyGraph, i: number, variable: string): string {
  if (graph.reads[i]!.includes(variable)) return "intent";
  const dyn = graph.dynamic[i];
  if (dyn?.forEach?.reads.includes(variable)) return "forEach";
  if (dyn?.when?.reads.includes(variable)) return "when";
  return "repeat.until";
}

/**
 * What to do about an unknown `variable`: where a reserved name exists, the name meant, how to
 * provide it. `braces`: name variables as a template writes them (`{{ findings }}`).
 */
function remedy(graph: DependencyGraph, available: ReadonlySet<string>, variable: string, braces: boolean): string {
  const local = localHint(variable);
  const guess = didYouMean(variable, [...graph.steps.map((s) => s.outputKey), ...available]);
  return (local === undefined ? "" : `${local}; `) +
    (guess === undefined ? "" : `did you mean ${braces ? `{{ ${guess} }}` : guess}? Otherwise `) +
    `add a step with outputKey "${variable}", or pass it as execute(task, { inputs: { ${variable}: ... } })`;
}
