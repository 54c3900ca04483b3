// `wavepool run <file>`: loads the strategy file, runs it with progress on stderr, writes the
// timeline and trace files, and turns the result into output and an exit code. Ctrl-C cancels.
import { access, constants, mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { ExecuteOptions } from "../run/run.js";
import { ParallelOrchestrator } from "../run/orchestrator.js";
import { ParallelOrchestratorConfig } from "../run/config.js";
import { readStateFile } from "../run/state-file.js";
import { palette, wantsColour } from "./ansi.js";
import {
  parseApprovals, parseChoice, parseCount, parseDuration, parseFlags, parseInputs, parseScheduling, string, strategyFileOf, strings,
} from "./args.js";
import { toChromeTrace } from "../report/chrome-trace.js";
import { EXIT, FileError, UsageError, type CommandContext } from "./cli-errors.js";
import { cliLogger, LOG_LEVELS } from "./cli-logger.js";
import { onInterrupt } from "./interrupt.js";
import { loadStrategyFile, requireAgents } from "./load-strategy-file.js";
import { LineProgress } from "./progress-lines.js";
import { LiveProgress, type ProgressDisplay } from "./progress-live.js";
import { ProgressModel } from "./progress-model.js";
import { resultToJSON } from "../report/result-json.js";
import { exitCodeOf, finalOutputs, stepTable, summarize } from "./run-output.js";
import { renderTimeline } from "../report/timeline-svg.js";
import { RUN_HELP } from "./usage.js";

const FLAGS = {
  task: { type: "string" },
  input: { type: "string", multiple: true },
  concurrency: { type: "string" },
  timeout: { type: "string" },
  scheduling: { type: "string" },
  state: { type: "string" },
  resume: { type: "string" },
  approve: { type: "string", multiple: true },
  reject: { type: "string", multiple: true },
  timeline: { type: "string" },
  trace: { type: "string" },
  json: { type: "boolean" },
  "log-level": { type: "string" },
} as const;

export async function runCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags("run", argv, FLAGS);
  if (v.help) {
    process.stdout.write(RUN_HELP);
    return EXIT.ok;
  }
  const file = (ctx.file = strategyFileOf(positionals, "run"));
  const inputs = parseInputs(strings(v.input), "run");
  const approvals = parseApprovals(strings(v.approve), strings(v.reject), "run");
  const resume = string(v.resume);
  if (Object.keys(approvals).length > 0 && resume === undefined) {
    throw new UsageError("--approve and --reject answer the approvals of a paused run: use them with --resume FILE", "run");
  }
  const stateFile = string(v.state) ?? resume;
  const level = parseChoice("--log-level", string(v["log-level"]) ?? process.env.WAVEPOOL_LOG_LEVEL ?? "warn", LOG_LEVELS, "run");
  let config = new ParallelOrchestratorConfig();
  const concurrency = string(v.concurrency);
  if (concurrency !== undefined) {
    const n = parseCount("--concurrency", concurrency, "run");
    config = config.withThreads(n).withMaxConcurrentTasks(n);
  }
  const timeout = string(v.timeout);
  if (timeout !== undefined) config = config.withStepTimeout(parseDuration("--timeout", timeout, "run"));
  const scheduling = string(v.scheduling);
  if (scheduling !== undefined) config = config.withScheduling(parseScheduling(scheduling, "run"));
  const timeline = string(v.timeline);
  const trace = string(v.trace);
  // Output paths are checked before the run, not found unwritable after it.
  for (const out of [timeline, trace, stateFile]) if (out !== undefined) await writableDir(out);

  const loaded = await loadStrategyFile(file);
  requireAgents(loaded);
  const { strategy } = loaded;
  const saved = resume === undefined ? undefined : await readState(resume);
  const task = string(v.task) ?? saved?.task ?? strategy.goal;

  const colours = palette(wantsColour(process.stderr));
  const model = new ProgressModel(strategy);
  if (saved !== undefined) model.restore(saved.steps);
  const display: ProgressDisplay = process.stderr.isTTY && process.env.TERM !== "dumb"
    ? new LiveProgress(process.stderr, model, colours)
    : new LineProgress(process.stderr, colours);
  const orchestrator = new ParallelOrchestrator(strategy, config.withLogger(cliLogger(level, display, colours)));
  for (const [name, ref] of loaded.agents) orchestrator.addAgent(name, ref);

  const controller = new AbortController();
  const stopListening = onInterrupt(controller, display);
  const options: ExecuteOptions = { inputs, signal: controller.signal, onEvent: (event) => display.onEvent(event) };
  if (stateFile !== undefined) options.saveStateTo = stateFile;
  if (resume !== undefined) options.resumeFrom = resume;
  if (Object.keys(approvals).length > 0) options.approvals = approvals;
  let result;
  try {
    result = await orchestrator.execute(task, options);
  } finally {
    display.stop();
    stopListening();
    await orchestrator.close();
  }

  if (timeline !== undefined) await writeOutput(timeline, renderTimeline(result, { title: strategy.goal }));
  if (trace !== undefined) await writeOutput(trace, `${JSON.stringify(toChromeTrace(result, { title: strategy.goal }))}\n`);
  // stdout carries the product (the JSON result, or the final outputs); everything else is stderr.
  process.stderr.write(stepTable(result) + summarize(result, colours, { file, stateFile }));
  process.stdout.write(v.json ? `${resultToJSON(result)}\n` : finalOutputs(result, strategy));
  return exitCodeOf(result);
}

async function readState(file: string): Promise<Awaited<ReturnType<typeof readStateFile>>> {
  try {
    return await readStateFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new FileError(file, undefined, "no such state file; write one with --state FILE", { cause: error });
    throw error;
  }
}

/** Creates the output's folder if it is missing (like `-o out/x.svg` in most tools), then checks it is writable. */
async function writableDir(file: string): Promise<void> {
  const dir = dirname(resolve(file));
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch {
    throw new FileError(file, undefined, `cannot write here: ${dir} is not a writable directory`);
  }
}

async function writeOutput(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new FileError(file, undefined, `cannot write it: ${(error as Error).message}`, { cause: error });
  }
}
