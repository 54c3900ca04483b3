// The bundled example (`npm start`): two research steps run at the same time on different worker
// threads, then a writer step turns both findings into an article. Offline: the agents read the
// text files in examples/data and do real CPU work on them.
import { fileURLToPath } from "node:url";
import {
  ParallelOrchestrator,
  ParallelOrchestratorConfig,
  StrategyMap,
  StrategyStep,
  type RunEvent,
  type StepRecord,
} from "wavepool";
import type { Article } from "./agents/writer.js";

// tsc does not copy data files, so from dist/examples/ we read them where they are in the source tree.
const dataDir = fileURLToPath(new URL("../../examples/data/", import.meta.url));

const writerIntent = `Write an article for this task: {{ task }}
Brief A, {{ topic_a_research.topic }}: {{ topic_a_research.summary }}
Key terms: {% for k in topic_a_research.keywords %}{{ k.term }}{% unless forloop.last %}, {% endunless %}{% endfor %}

Brief B, {{ topic_b_research.topic }}: {{ topic_b_research.summary }}
Key terms: {% for k in topic_b_research.keywords %}{{ k.term }}{% unless forloop.last %}, {% endunless %}{% endfor %}`;

const strategy = new StrategyMap("Write article based on parallel research")
  .addStep(new StrategyStep("step_1", "Research Topic A", "ResearchAgent",
    "Research the benefits of Rust for systems programming.", "topic_a_research"))
  .addStep(new StrategyStep("step_2", "Research Topic B", "ResearchAgent",
    "Research the benefits of Rust for web assembly.", "topic_b_research"))
  .addStep(new StrategyStep("step_3", "Write Article", "WriterAgent", writerIntent, "final_article"));

const config = new ParallelOrchestratorConfig().withStepTimeout(60_000);
const orchestrator = ParallelOrchestrator.withConfig(strategy, config)
  .addAgent("ResearchAgent", { module: new URL("./agents/research.js", import.meta.url), options: { dataDir } })
  .addAgent("WriterAgent", new URL("./agents/writer.js", import.meta.url));

const descriptions = new Map(strategy.steps.map((step) => [step.stepId, step.description]));
let runStart = Date.now();

// Times are fractional milliseconds; a tenth is as much as a person reads.
const ms = (value: number): string => value.toFixed(1);

function onEvent(event: RunEvent): void {
  const at = `+${ms(event.time - runStart).padStart(7)} ms`;
  if (event.type === "run:start") runStart = event.time;
  else if (event.type === "step:start") {
    console.log(`${at}  ${"start".padEnd(9)} ${event.stepId} ${descriptions.get(event.stepId) ?? ""} (${event.agent}, wave ${event.wave})`);
  } else if (event.type === "step:end") {
    const error = event.error ? `: ${event.error.message}` : "";
    console.log(`${at}  ${event.status.padEnd(9)} ${event.stepId} on thread ${event.threadId} after ${ms(event.durationMs)} ms${error}`);
  }
}

function table(steps: StepRecord[], runStartedAt: number): string {
  const header = ["step", "description", "agent", "wave", "thread", "status", "start ms", "duration ms"];
  const rows = steps.map((s) => [
    s.stepId, descriptions.get(s.stepId) ?? "", s.agent, String(s.wave), s.threadId < 0 ? "-" : String(s.threadId),
    s.status, s.startedAt === undefined ? "-" : ms(s.startedAt - runStartedAt), ms(s.durationMs),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const numeric = new Set([3, 4, 6, 7]);
  const line = (cells: string[]): string =>
    cells.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

try {
  console.log(`${strategy.goal}: ${strategy.steps.length} steps in waves ${JSON.stringify(strategy.plan().waves)}\n`);
  const result = await orchestrator.execute("Write an article about Rust's versatility.", { onEvent });
  const article = result.context.get("final_article") as Article | undefined;
  if (article !== undefined) {
    console.log(`\n${"=".repeat(72)}\n\n${article.markdown}\n\n${"=".repeat(72)}`);
    console.log(`${article.words} words, reading ease ${article.readability.readingEase} ` +
      `(grade ${article.readability.grade}), ${Math.round(article.coverage * 100)}% of key terms used, ` +
      `sources: ${article.sources.join(", ")}`);
  }
  console.log(`\n${table(result.steps, result.startedAt)}`);
  const busy = result.steps.reduce((sum, step) => sum + step.durationMs, 0);
  console.log(`\ntotal: ${result.stepsExecuted}/${result.steps.length} steps in ${ms(result.durationMs)} ms ` +
    `(${ms(busy)} ms of step time, ${(busy / Math.max(1, result.durationMs)).toFixed(2)}x parallelism)`);
  if (!result.success) {
    console.error(`\nThe run failed${result.error ? `: ${result.error.message}` : "."}`);
    process.exitCode = 1;
  }
} catch (error) {
  // execute rejects only before any step runs: an invalid graph or an agent module that does not load.
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exitCode = 1;
} finally {
  await orchestrator.close();
}
