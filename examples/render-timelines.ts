// Draws real runs of 4, 50 and 200 steps as `wavepool run --timeline` does, to look at the picture
// as a run grows: an SVG per run, and a PNG beside it when rsvg-convert (Debian: librsvg2-bin) is
// installed. The workflows are the bundled article example scaled up: research briefs on the
// bundled corpus, a writer per article reading its briefs, a publisher per article. From 50 steps
// on, one brief is researched in a folder that does not exist (it fails, retried twice) and one
// has a timeout too short for it (its thread is terminated and replaced), as happens in real runs.
//   npm run build && node dist/examples/render-timelines.js out/timelines [--steps 4,50,200] [--threads 4]
import { execFile } from "node:child_process";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import {
  ParallelOrchestrator, ParallelOrchestratorConfig, StrategyMap, StrategyStep, renderTimeline,
  type ParallelOrchestrationResult,
} from "wavepool";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { steps: { type: "string", default: "4,50,200" }, threads: { type: "string", default: "4" } },
});
const outDir = positionals[0];
const sizes = values.steps.split(",").map(Number);
const threads = Number(values.threads);
if (outDir === undefined || sizes.some((n) => !Number.isInteger(n) || n < 4) || !Number.isInteger(threads) || threads < 1) {
  console.error("usage: node dist/examples/render-timelines.js <out-dir> [--steps 4,50,200] [--threads 4]  (each size at least 4)");
  process.exit(2);
}

const TOPICS = [
  "Research the benefits of Rust for systems programming.",
  "Research the benefits of Rust for web assembly.",
  "Research how C and C++ manage memory.",
  "Research what managed runtimes and garbage collectors cost.",
  "Research how web applications are built.",
];
// tsc does not copy data files, so from dist/examples/ we read them where they are in the source tree.
const dataDir = fileURLToPath(new URL("../../examples/data/", import.meta.url));
const agents = new URL("./agents/", import.meta.url);

/**
 * `steps` steps: a writer and a publisher per article (one article per 8 steps), the rest research
 * briefs dealt out to the articles in turn. 4 steps is the bundled example itself.
 */
function articles(steps: number): StrategyMap {
  const count = Math.max(1, Math.round(steps / 8));
  const goal = count === 1 ? "Write article based on parallel research"
    : `Write ${count} articles based on parallel research (${steps} steps)`;
  const strategy = new StrategyMap(goal);
  const briefs: string[][] = Array.from({ length: count }, () => []);
  for (let i = 0; i < steps - 2 * count; i++) {
    const id = `research_${i + 1}`;
    briefs[i % count]!.push(id);
    // Past the bundled example, two briefs go wrong the way real steps do.
    const broken = steps > 4 && i === 1;
    const tooTight = steps > 4 && i === 3;
    strategy.addStep(new StrategyStep(id, `Research brief ${i + 1}`, broken ? "ArchiveResearchAgent" : "ResearchAgent",
      TOPICS[i % TOPICS.length]!, id, { ...(broken ? { retries: 2 } : {}), ...(tooTight ? { timeoutMs: 5 } : {}) }));
  }
  briefs.forEach((ids, a) => {
    const suffix = count === 1 ? "" : `_${a + 1}`;
    const read = ids.map((id, b) => `Brief ${b + 1}, {{ ${id}.topic }}: {{ ${id}.summary }}`).join("\n");
    strategy.addStep(new StrategyStep(`write${suffix}`, "Write Article", "WriterAgent",
      `Write an article for this task: {{ task }}\n${read}`, `article${suffix}`));
    strategy.addStep(new StrategyStep(`publish${suffix}`, "Publish", "PublisherAgent",
      `{{ article${suffix}.markdown }}\n\n---\n\n{{ article${suffix}.words }} words · sources: {{ article${suffix}.sources | join: ", " }}`,
      `published${suffix}`));
  });
  return strategy;
}

async function run(strategy: StrategyMap): Promise<ParallelOrchestrationResult> {
  // Fewer bootstrap resamples than the example's default, so 200 steps take seconds, not minutes.
  const research = { bootstrapRounds: 3_000, dataDir };
  const config = new ParallelOrchestratorConfig().withThreads(threads).withRetries({ attempts: 1, backoffMs: 5 });
  const orchestrator = ParallelOrchestrator.withConfig(strategy, config)
    .addAgent("ResearchAgent", { module: new URL("research.js", agents), options: research })
    .addAgent("ArchiveResearchAgent", { module: new URL("research.js", agents), options: { ...research, dataDir: join(dataDir, "archive-that-is-not-there") } })
    .addAgent("WriterAgent", new URL("writer.js", agents))
    .addAgent("PublisherAgent", new URL("publisher.js", agents));
  try {
    return await orchestrator.execute("Write an article about Rust's versatility.");
  } finally {
    await orchestrator.close();
  }
}

/** Converts with rsvg-convert; undefined (and why, once) when it is not installed. */
let noConverter: string | undefined;
async function toPng(svgFile: string): Promise<string | undefined> {
  if (noConverter !== undefined) return undefined;
  const pngFile = svgFile.replace(/\.svg$/, ".png");
  try {
    await promisify(execFile)("rsvg-convert", ["--format", "png", "--output", pngFile, svgFile]);
    return pngFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    noConverter = "rsvg-convert is not installed (Debian/Ubuntu: apt-get install librsvg2-bin), so only SVG files were written";
    return undefined;
  }
}

/** Width and height from a PNG's IHDR chunk, which always comes first. */
async function pngSize(file: string): Promise<string> {
  const head = (await readFile(file)).subarray(16, 24);
  return `${head.readUInt32BE(0)}x${head.readUInt32BE(4)}`;
}

await mkdir(outDir, { recursive: true });
const rows: string[][] = [["steps", "threads", "run", "outcome", "attempts", "svg", "png bytes", "png px"]];
for (const steps of sizes) {
  const strategy = articles(steps);
  const result = await run(strategy);
  const svgFile = join(outDir, `timeline-${steps}.svg`);
  await writeFile(svgFile, renderTimeline(result, { title: strategy.goal }));
  const pngFile = await toPng(svgFile);
  const attempts = result.steps.reduce((sum, s) => sum + s.history.length, 0);
  rows.push([String(steps), String(threads), `${(result.durationMs / 1000).toFixed(2)} s`, result.success ? "succeeded" : "failed",
    String(attempts), svgFile, pngFile === undefined ? "-" : String((await stat(pngFile)).size), pngFile === undefined ? "-" : await pngSize(pngFile)]);
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
console.log(`node dist/examples/render-timelines.js ${process.argv.slice(2).join(" ")}\n`);
for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd());
if (noConverter !== undefined) console.log(`\n${noConverter}`);
