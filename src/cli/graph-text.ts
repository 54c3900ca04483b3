// `wavepool graph`: the dependency graph as Mermaid or Graphviz DOT text. Nodes are labelled with
// the step id and its agent and grouped by wave; edges are the graph's dependencies (inferred from
// the templates and from dependsOn), from the step that produces to the step that reads.
import type { StrategyMap } from "../strategy/strategy-map.js";
import { safeText } from "./safe-text.js";

export const GRAPH_FORMATS = ["mermaid", "dot"] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export function renderGraph(strategy: StrategyMap, format: GraphFormat): string {
  return format === "dot" ? renderDot(strategy) : renderMermaid(strategy);
}

/** A Mermaid flowchart, one subgraph per wave. Node ids are s0, s1...: step ids may hold `-`, which Mermaid reads as an edge. */
export function renderMermaid(strategy: StrategyMap): string {
  const graph = strategy.graph();
  const label = (text: string): string => safeText(text).replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
  const lines = ["flowchart LR"];
  graph.waves.forEach((wave, w) => {
    lines.push(`  subgraph wave${w}["wave ${w}"]`, "    direction TB");
    for (const stepId of wave) {
      const i = graph.indexOf.get(stepId)!;
      lines.push(`    s${i}["${label(stepId)}<br/>${label(graph.steps[i]!.assignedAgent)}"]`);
    }
    lines.push("  end");
  });
  graph.deps.forEach((deps, i) => {
    for (const d of deps) lines.push(`  s${d} --> s${i}`);
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
      const i = graph.indexOf.get(stepId)!;
      lines.push(`    ${quote(stepId)} [label=${quote(stepId, graph.steps[i]!.assignedAgent)}];`);
    }
    lines.push("  }");
  });
  graph.deps.forEach((deps, i) => {
    for (const d of deps) lines.push(`  ${quote(graph.steps[d]!.stepId)} -> ${quote(graph.steps[i]!.stepId)};`);
  });
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
