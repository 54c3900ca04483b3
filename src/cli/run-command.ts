// `wavepool run <file>`: loads the strategy file, runs it with progress on stderr, writes the
// timeline and trace files, and turns the result into output and an exit code. Ctrl-C cancels; on a
// terminal, a run that pauses for approval asks there and goes on with the answers.
import { access, constants, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { ExecuteOptions } from "../run/run.js";
import { ParallelOrchestrator } from "../run/orchestrator.js";
import { ParallelOrchestratorConfig } from "../run/config.js";
import type { ParallelOrchestrationResult, StepRecord } from "../run/result.js";
import { readStateFile } from "../run/state-file.js";
import { palette, wantsColour } from "./ansi.js";
import {
  parseApprovals, parseChoice, parseCount, parseDuration, parseFlags, parseInputs, parseScheduling, string, strategyFileOf, strings,
} from "./args.js";
import { askApprovals, canAsk } from "./ask-approvals.js";
import { toChromeTrace } from "../report/chrome-trace.js";
import { runOutcome } from "../report/outcome.js";
import { EXIT, FileError, UsageError, type CommandContext } from "./cli-errors.js";
import { cliLogger, LOG_LEVELS } from "./cli-logger.js";
import { onInterrupt } from "./interrupt.js";
import { loadStrategyFile, requireAgents } from "./load-strategy-file.js";
import { LineProgress } from "./progress-lines.js";
import { LiveProgress, type ProgressDisplay } from "./progress-live.js";
import { ProgressModel } from "./progress-model.js";
import { QuietProgress } from "./progress-quiet.js";
import { resultToJSON } from "../report/result-json.js";
import { exitCodeOf, finalOutputs, stepTable, summarize } from "./run-output.js";
import { renderTimeline } from "../report/timeline-svg.js";
import { safeText } from "./safe-text.js";
import { RUN_HELP } from "./usage.js";
import { withRedis } from "./redis-flags.js";

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
  quiet: { type: "boolean", short: "q" },
  "log-level": { type: "string" },
  redis: { type: "string" },
  queue: { type: "string" },
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
  config = await withRedis(config, string(v.redis), string(v.queue), "run");
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
  const live = process.stderr.isTTY && process.env.TERM !== "dumb";
  const newDisplay = (restored: readonly StepRecord[] | undefined): ProgressDisplay => {
    if (v.quiet) return new QuietProgress(process.stderr);
    if (!live) return new LineProgress(process.stderr, colours, strategy);
    const model = new ProgressModel(strategy);
    if (restored !== undefined) model.restore(restored);
    return new LiveProgress(process.stderr, model, colours);
  };
  let display = newDisplay(saved?.steps);
  // A person at the terminal answers approvals there, and the run resumes from its state: kept in a
  // scratch file when none was named.
  const interactive = !v.json && canAsk(process.stdin, process.stderr);
  const scratch = interactive && stateFile === undefined ? await mkdtemp(join(tmpdir(), "wavepool-run-")) : undefined;
  const statePath = stateFile ?? (scratch === undefined ? undefined : join(scratch, "state"));
  const orchestrator = new ParallelOrchestrator(strategy, config.withLogger(cliLogger(level, { log: (line) => display.log(line) }, colours)));
  for (const [name, ref] of loaded.agents) orchestrator.addAgent(name, ref);

  const options: ExecuteOptions = { inputs };
  if (statePath !== undefined) options.saveStateTo = statePath;
  if (resume !== undefined) options.resumeFrom = resume;
  if (Object.keys(approvals).length > 0) options.approvals = approvals;
  let result;
  try {
    result = await executeShown(orchestrator, task, options, display);
    while (interactive && statePath !== undefined && runOutcome(result) === "paused" && result.stateError === undefined) {
      const answers = await askApprovals(result.pendingApprovals, process.stdin, process.stderr, colours);
      if (answers === undefined) break;
      display = newDisplay(result.steps);
      result = await executeShown(orchestrator, task, { inputs, saveStateTo: statePath, resumeFrom: statePath, approvals: answers }, display);
    }
  } finally {
    await orchestrator.close();
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
  // The scratch file only carried answers from the terminal back into the run: the user asked for
  // no state file, so one that could not be written (an output v8 cannot serialise) fails nothing.
  if (scratch !== undefined) delete result.stateError;

  const written: string[] = [];
  const title = strategy.goal;
  if (timeline !== undefined) written.push(await writeOutput(timeline, renderTimeline(result, { title }), "timeline"));
  if (trace !== undefined) written.push(await writeOutput(trace, `${JSON.stringify(toChromeTrace(result, { title }))}\n`, "trace"));
  // stdout carries the product (the JSON result, or the final outputs); everything else is stderr.
  // The live display's last frame already shows every step, and --quiet wants none: only the lines
  // of a log get the table of steps.
  const table = display instanceof LineProgress ? stepTable(result) : "";
  process.stderr.write(table + summarize(result, colours, { file, stateFile }) + (v.quiet ? "" : written.join("")));
  process.stdout.write(v.json ? `${resultToJSON(result)}\n` : finalOutputs(result, strategy));
  return exitCodeOf(result);
}

/** One execute, shown on `display`; Ctrl-C cancels it. */
async function executeShown(
  orchestrator: ParallelOrchestrator, task: string, options: ExecuteOptions, display: ProgressDisplay,
): Promise<ParallelOrchestrationResult> {
  const controller = new AbortController();
  const stopListening = onInterrupt(controller, display);
  try {
    return await orchestrator.execute(task, { ...options, signal: controller.signal, onEvent: (event) => display.onEvent(event) });
  } finally {
    display.stop();
    stopListening();
  }
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

/** Writes `file`; returns the line that says where the `what` went. */
async function writeOutput(file: string, text: string, what: string): Promise<string> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new FileError(file, undefined, `cannot write it: ${(error as Error).message}`, { cause: error });
  }
  return `${what} written to ${safeText(file)}\n`;
}
