// `wavepool plan <file> [--threads N]`: what a run would do, without running it: the waves, the
// critical path and its cost, and the simulated makespan of both schedulers against the lower bound.
// A fan-out shows as one step `research[*]`; steps with `when` or `repeat` are marked, and their
// expressions listed with the terminations.
import { availableParallelism } from "node:os";
import { simulate } from "../schedule/simulate.js";
import { stepLabel } from "../strategy/dynamic-plan.js";
import { SCHEDULING_MODES } from "../schedule/scheduling.js";
import type { StrategyMap, StrategyPlan } from "../strategy/strategy-map.js";
import { parseCount, parseFlags, string, strategyFileOf } from "./args.js";
import { EXIT, type CommandContext } from "./cli-errors.js";
import { loadStrategyFile } from "./load-strategy-file.js";
import { safeText } from "./safe-text.js";
import { PLAN_HELP } from "./usage.js";

export async function planCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseFlags("plan", argv, { threads: { type: "string", short: "t" } });
  if (values.help) {
    process.stdout.write(PLAN_HELP);
    return EXIT.ok;
  }
  const file = (ctx.file = strategyFileOf(positionals, "plan"));
  const threadsFlag = string(values.threads);
  const threads = threadsFlag === undefined ? availableParallelism() : parseCount("--threads", threadsFlag, "plan");
  // Agent modules are not needed to plan or draw the graph: a file whose agents are not built yet works.
  const { strategy } = await loadStrategyFile(file, { checkModules: false });
  process.stdout.write(renderPlan(strategy, threads));
  return EXIT.ok;
}

const num = (n: number): string => String(Number(n.toFixed(2)));

/** The plan as text; costs are each step's `cost` option, else 1. */
export function renderPlan(strategy: StrategyMap, threads: number): string {
  const graph = strategy.graph();
  const plan = strategy.plan();
  const stepOf = (stepId: string) => graph.steps[graph.indexOf.get(stepId)!]!;
  const label = (stepId: string): string => safeText(stepLabel(stepOf(stepId)));
  const node = (stepId: string): string => {
    const step = stepOf(stepId);
    const marks = [step.assignedAgent, ...(step.when === undefined ? [] : ["when"]), ...(step.repeat === undefined ? [] : ["repeat"])];
    return `${label(stepId)} (${marks.map(safeText).join(", ")})`;
  };
  const n = graph.steps.length;
  const dynamic = plan.dynamicSteps !== undefined || plan.terminations !== undefined;
  const out = [
    safeText(strategy.goal),
    `${n} step${n === 1 ? "" : "s"} in ${plan.waves.length} wave${plan.waves.length === 1 ? "" : "s"}`,
    "",
    "waves",
    ...plan.waves.map((wave, w) => `  ${String(w).padStart(2)}  ${wave.map(node).join("  ")}`),
    ...dynamicLines(plan),
    "",
    `critical path  ${plan.criticalPath.map(label).join(" -> ") || "(empty)"}  (cost ${num(plan.criticalPathCost)})`,
    "",
    `simulated on ${threads} thread${threads === 1 ? "" : "s"} (cost of a step: its cost option, else 1` +
      `${dynamic ? "; a fan-out of one item, when steps run, repeat steps once" : ""})`,
    "  scheduling  makespan  lower bound  makespan / bound",
  ];
  for (const scheduling of SCHEDULING_MODES) {
    const sim = simulate(strategy, { threads, scheduling });
    const ratio = sim.lowerBound > 0 ? `${(sim.makespan / sim.lowerBound).toFixed(2)}x` : "-";
    out.push(`  ${scheduling.padEnd(10)}  ${num(sim.makespan).padStart(8)}  ${num(sim.lowerBound).padStart(11)}  ${ratio.padStart(16)}`);
  }
  return `${out.join("\n")}\n`;
}

/** The dynamic steps' expressions and the terminations, one line each; nothing for a static strategy. */
function dynamicLines(plan: StrategyPlan): string[] {
  const lines: string[] = [];
  const steps = plan.dynamicSteps ?? [];
  if (steps.length > 0) {
    lines.push("", "dynamic steps");
    const width = Math.max(...steps.map((s) => safeText(s.label).length));
    for (const step of steps) {
      const what: string[] = [];
      if (step.forEach !== undefined) {
        what.push(`for each of ${safeText(step.forEach)}${step.forEachConcurrency === undefined ? "" : `, at most ${step.forEachConcurrency} at once`}`);
      }
      if (step.when !== undefined) what.push(`when ${safeText(step.when)}`);
      if (step.repeat !== undefined) what.push(`repeat until ${safeText(step.repeat.until)}, at most ${step.repeat.maxIterations} times`);
      lines.push(`  ${safeText(step.label).padEnd(width)}  ${what.join("; ")}`);
    }
  }
  const terminations = plan.terminations ?? [];
  if (terminations.length > 0) {
    lines.push("", "terminate");
    terminations.forEach((t, k) => {
      lines.push(`  [${k}]  when ${safeText(t.when)}${t.reason === undefined ? "" : `  reason ${safeText(JSON.stringify(t.reason))}`}`);
    });
  }
  return lines;
}
