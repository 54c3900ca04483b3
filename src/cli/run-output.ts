// What `wavepool run` says when the run is over: its exit code, a short summary on stderr (with
// the errors, the approvals a paused run waits for and how to resume it) and, on stdout, the
// outputs of the final steps, the product of the workflow.
import { formatDuration } from "../report/duration.js";
import { isItem, runOutcome, STATUS_WORDS, statusTally, statusText } from "../report/outcome.js";
import { toPlain } from "../report/result-json.js";
import type { ParallelOrchestrationResult, StepRecord } from "../run/result.js";
import type { StrategyMap } from "../strategy/strategy-map.js";
import type { Palette } from "./ansi.js";
import { EXIT } from "./cli-errors.js";
import { errorText } from "./progress-model.js";
import { safeText as t } from "./safe-text.js";

/**
 * 130 cancelled, 3 paused for approval, 1 a step failed or the state file could not be written
 * (a run that succeeded but left a stale state is not a success to a script), 0 every step completed
 * or was skipped by its condition, or a termination ended the run (the strategy asked for it).
 */
export function exitCodeOf(result: ParallelOrchestrationResult): number {
  switch (runOutcome(result)) {
    case "cancelled": return EXIT.cancelled;
    case "paused": return EXIT.paused;
    case "failed": return EXIT.stepFailed;
    case "succeeded":
    case "terminated": return result.stateError === undefined ? EXIT.ok : EXIT.stepFailed;
  }
}

/** The one line that says the state file on disk is behind the run, with the path and the cause. */
export function staleStateLine(result: ParallelOrchestrationResult): string | undefined {
  const e = result.stateError;
  if (e === undefined) return undefined;
  const cause = `${e.name}${e.code === undefined ? "" : ` ${e.code}`}: ${e.message}`;
  return `wavepool: the state file ${t(e.path)} is stale: it could not be written (${t(cause)}); every output is in this run's result, not in the file`;
}

export interface SummaryContext {
  /** The strategy file, to print the command that resumes the run. */
  file: string;
  /** Where the state was saved, if anywhere. */
  stateFile: string | undefined;
}

/** Failed items told one by one in the summary; past that they are counted (a fan-out may have 10,000). */
export const ITEM_ERRORS_SHOWN = 5;

/** Lines for stderr. */
export function summarize(result: ParallelOrchestrationResult, c: Palette, { file, stateFile }: SummaryContext): string {
  const tally = statusTally(result);
  const took = formatDuration(result.durationMs);
  const resume = stateFile === undefined ? undefined : `wavepool run ${arg(file)} --resume ${arg(stateFile)}`;
  const lines: string[] = [];
  switch (runOutcome(result)) {
    case "cancelled": lines.push(c.yellow(`⊘ cancelled after ${took}: ${tally}`)); break;
    case "succeeded": {
      // A fan-out is one step; its items and the steps skipped by a condition are told after the count.
      const steps = result.steps.filter((s) => !isItem(s));
      const done = steps.filter((s) => s.status === "completed").length;
      const whole = done === steps.length && steps.length === result.steps.length;
      lines.push(c.green(`✔ ${done}/${steps.length} steps completed in ${took}${whole ? "" : `: ${tally}`}`));
      break;
    }
    case "terminated": {
      const why = result.terminationReason === undefined || result.terminationReason.trim() === "" ? "" : `: ${t(result.terminationReason)}`;
      lines.push(c.green(`■ terminated after ${took}${why}`), c.dim(`  ${tally}`));
      break;
    }
    case "paused": lines.push(c.magenta(`‖ paused for approval after ${took}: ${tally}`)); break;
    case "failed": lines.push(c.red(`✖ the run failed after ${took}: ${tally}`)); break;
  }
  let itemErrors = 0;
  for (const s of result.steps) {
    if ((s.status === "failed" || s.status === "timed_out") && s.error !== undefined) {
      if (isItem(s) && ++itemErrors > ITEM_ERRORS_SHOWN) continue;
      lines.push(c.red(`  ${t(s.stepId)} (${t(s.agent)}) ${STATUS_WORDS[s.status]}: ${errorText(s.error)}`));
    }
  }
  if (itemErrors > ITEM_ERRORS_SHOWN) {
    const more = itemErrors - ITEM_ERRORS_SHOWN;
    lines.push(c.red(`  … and ${more} more failed item${more === 1 ? "" : "s"} (--json has every error)`));
  }
  const stale = staleStateLine(result);
  if (stale !== undefined) lines.push(c.red(stale));
  if (result.paused) {
    lines.push("waiting for approval:");
    for (const p of result.pendingApprovals) {
      lines.push(`  ${c.bold(t(p.stepId))} (${t(p.agent)}): ${t(p.message)}`);
      if (p.payload !== undefined) lines.push(c.dim(`    payload: ${oneLine(p.payload)}`));
    }
    const ids = result.pendingApprovals.map((p) => p.stepId);
    lines.push(resume === undefined
      ? "this run cannot be resumed: it was started without --state FILE"
      : stale !== undefined ? "this run cannot be resumed reliably: its state file is stale"
      : `approve with: ${resume} ${ids.map((id) => `--approve ${arg(id)}`).join(" ")}\n(or --reject ${arg(ids[0] ?? "STEP")}="reason")`);
  } else if (!result.success && resume !== undefined && stale === undefined) {
    lines.push(c.dim(`state saved to ${stateFile}; continue with: ${resume}`));
  }
  return `${lines.join("\n")}\n`;
}

/** The outputs of the steps nothing depends on, if they completed: text as is, anything else as JSON. */
export function finalOutputs(result: ParallelOrchestrationResult, strategy: StrategyMap): string {
  const graph = strategy.graph();
  const finals = graph.steps.filter((_, i) => graph.dependents[i]!.length === 0 && result.context.has(graph.steps[i]!.outputKey));
  const show = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(toPlain(value), null, 2) ?? String(value));
  if (finals.length === 1) return `${show(result.context.get(finals[0]!.outputKey)).replace(/\n?$/, "\n")}`;
  return finals.map((step) => `== ${step.outputKey} (${step.stepId}) ==\n${show(result.context.get(step.outputKey)).replace(/\n?$/, "\n")}`).join("\n");
}

/** A value as one line of JSON, escaped, at most 200 characters. */
export function oneLine(value: unknown): string {
  const text = t(JSON.stringify(toPlain(value)) ?? String(value));
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

/** Quotes a shell argument when it needs it. */
function arg(text: string): string {
  return /^[\w./@:+-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

/**
 * A table of the steps (agent, wave, thread, status, duration) for the summary; none past `limit`
 * steps. In a distributed run the thread is named with its worker process (`host:pid/3`). A fan-out is one row, `research[*]`, whose attempts are its items' and whose duration
 * spans them; its items are not rows.
 */
/** The thread a step last ran on: `3`, `host:pid/3` on a worker of a distributed run, `-` for none. */
function threadCell(s: StepRecord): string {
  if (s.threadId < 0) return "-";
  return s.worker === undefined ? String(s.threadId) : `${t(s.worker)}/${s.threadId}`;
}

export function stepTable(result: ParallelOrchestrationResult, limit = 40): string {
  const steps = result.steps.filter((s) => !isItem(s));
  if (steps.length === 0 || steps.length > limit) return "";
  const itemAttempts = new Map<string, number>();
  for (const s of result.steps) if (s.parent !== undefined) itemAttempts.set(s.parent, (itemAttempts.get(s.parent) ?? 0) + s.attempts);
  const rows = [["step", "agent", "wave", "thread", "status", "attempts", "duration"]];
  for (const s of steps) {
    const fanOut = s.items !== undefined;
    const attempts = fanOut ? (itemAttempts.get(s.stepId) ?? 0) : s.attempts;
    rows.push([t(fanOut ? `${s.stepId}[*]` : s.stepId), t(s.agent), String(s.wave), threadCell(s), statusText(s),
      String(attempts), attempts === 0 ? "-" : formatDuration(s.durationMs)]);
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  const numeric = new Set([2, 3, 5, 6]);
  const line = (r: string[]) => r.map((cell, col) => (numeric.has(col) ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!))).join("  ").trimEnd();
  return `${[line(rows[0]!), line(widths.map((w) => "-".repeat(w))), ...rows.slice(1).map(line)].join("\n")}\n`;
}
