// `wavepool graph`: the dependency graph as Mermaid or Graphviz DOT text. Nodes are labelled with
// the step id and its agent and grouped by wave; edges are the graph's dependencies (inferred from
// the templates, the expressions and dependsOn), from the step that produces to the step that
// reads. A fan-out is one node `research[*]` with its expression; `when` and `repeat` add a line
// each; a termination is a node of its own, with dashed edges from the steps whose outputs it reads.
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { StrategyStep } from "../strategy/strategy-step.js";
import { stepLabel } from "../strategy/dynamic-plan.js";
import type { StrategyMap } from "../strategy/strategy-map.js";
import { safeText } from "./safe-text.js";

export const GRAPH_FORMATS = ["mermaid", "dot"] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export function renderGraph(strategy: StrategyMap, format: GraphFormat): string {
  return format === "dot" ? renderDot(strategy) : renderMermaid(strategy);
}

/** The lines of a step's node: its label (`research[*]` for a fan-out), its agent, then what makes it dynamic. */
function stepLines(step: StrategyStep): string[] {
  const lines = [stepLabel(step), step.assignedAgent];
  if (step.forEach !== undefined) {
    lines.push(`for each: ${step.forEach}${step.forEachConcurrency === undefined ? "" : ` (${step.forEachConcurrency} at once)`}`);
  }
  if (step.when !== undefined) lines.push(`when: ${step.when}`);
  if (step.repeat !== undefined) lines.push(`repeat until: ${step.repeat.until} (max ${step.repeat.maxIterations})`);
  return lines;
}

/** The lines of termination `k`'s node. */
function terminationLines(strategy: StrategyMap, k: number): string[] {
  const termination = strategy.terminations[k]!;
  return ["terminate", `when: ${termination.when}`, ...(termination.reason === undefined ? [] : [`reason: ${termination.reason}`])];
}

/** The steps termination `k` reads from (its when, then its reason), each once. */
function terminationSources(graph: DependencyGraph, k: number): number[] {
  const termination = graph.terminations[k]!;
  return [...new Set([...termination.deps, ...termination.reasonDeps])];
}

/** A Mermaid flowchart, one subgraph per wave. Node ids are s0, s1... (t0, t1... for terminations): step ids may hold `-`, which Mermaid reads as an edge. */
export function renderMermaid(strategy: StrategyMap): string {
  const graph = strategy.graph();
  // Braces as entities too: a reason template's `{{ }}` must not close a hexagon node `t0{{"..."}}`.
  const label = (text: string): string =>
    safeText(text).replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;").replace(/\{/g, "#123;").replace(/\}/g, "#125;");
  const lines = ["flowchart LR"];
  graph.waves.forEach((wave, w) => {
    lines.push(`  subgraph wave${w}["wave ${w}"]`, "    direction TB");
    for (const stepId of wave) {
      const i = graph.indexOf.get(stepId)!;
      lines.push(`    s${i}["${stepLines(graph.steps[i]!).map(label).join("<br/>")}"]`);
    }
    lines.push("  end");
  });
  graph.deps.forEach((deps, i) => {
    for (const d of deps) lines.push(`  s${d} --> s${i}`);
  });
  graph.terminations.forEach((_, k) => {
    // A hexagon: a condition that ends the run, not a step.
    lines.push(`  t${k}{{"${terminationLines(strategy, k).map(label).join("<br/>")}"}}`);
    for (const d of terminationSources(graph, k)) lines.push(`  s${d} -.-> t${k}`);
  });
  return `${lines.join("\n")}\n`;
}

/** A Graphviz digraph, left to right, one cluster per wave with its steps on the same rank. */
export function renderDot(strategy: StrategyMap): string {
  const graph = strategy.graph();
  // Each part is escaped on its own; the line break between parts is DOT's own `\n`.
  const quote = (...parts: string[]): string => `"${parts.map((p) => safeText(p).replace(/\\/g, "\\\\").replace(/"/g, '\\"')).join("\\n")}"`;
  const lines = [
    "digraph strategy {",
    "  rankdir=LR;",
    `  label=${quote(...strategy.goal.split(/\r?\n/))};`,
    "  labelloc=t;",
    '  node [shape=box, style="rounded"];',
  ];
  graph.waves.forEach((wave, w) => {
    lines.push(`  subgraph cluster_wave${w} {`, `    label=${quote(`wave ${w}`)};`, "    style=dashed;", "    rank=same;");
    for (const stepId of wave) {
      const step = graph.steps[graph.indexOf.get(stepId)!]!;
      // A fan-out is drawn as a stack of boxes.
      const shape = step.forEach === undefined ? "" : ", shape=box3d";
      lines.push(`    ${quote(stepId)} [label=${quote(...stepLines(step))}${shape}];`);
    }
    lines.push("  }");
  });
  graph.deps.forEach((deps, i) => {
    for (const d of deps) lines.push(`  ${quote(graph.steps[d]!.stepId)} -> ${quote(graph.steps[i]!.stepId)};`);
  });
  graph.terminations.forEach((_, k) => {
    // Quoted ids cannot collide with step ids: those never hold brackets.
    const id = quote(`terminate[${k}]`);
    lines.push(`  ${id} [label=${quote(...terminationLines(strategy, k))}, shape=octagon];`);
    for (const d of terminationSources(graph, k)) lines.push(`  ${quote(graph.steps[d]!.stepId)} -> ${id} [style=dashed];`);
  });
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
