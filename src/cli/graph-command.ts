// `wavepool graph <file> [--format mermaid|dot]`: prints the dependency graph as text.
import { parseChoice, parseFlags, string, strategyFileOf } from "./args.js";
import { EXIT, type CommandContext } from "./cli-errors.js";
import { GRAPH_FORMATS, renderGraph } from "./graph-text.js";
import { loadStrategyFile } from "./load-strategy-file.js";
import { GRAPH_HELP } from "./usage.js";

export async function graphCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags("graph", argv, { format: { type: "string", short: "f" } });
  if (values.help) {
    process.stdout.write(GRAPH_HELP);
    return EXIT.ok;
  }
  const file = (ctx.file = strategyFileOf(positionals, "graph"));
  const format = parseChoice("--format", string(values.format) ?? "mermaid", GRAPH_FORMATS, "graph");
  // Agent modules are not needed to plan or draw the graph: a file whose agents are not built yet works.
  const { strategy } = await loadStrategyFile(file, { checkModules: false });
  process.stdout.write(renderGraph(strategy, format));
  return EXIT.ok;
}
