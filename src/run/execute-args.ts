// What `execute` is given, checked before anything runs: the task, the inputs (own data, each
// shareable with a worker), the state to resume from and the approvals for it, and where to save.
import type { ApprovalDecision } from "../agent.js";
import { findNotShareable } from "../pool/shareable.js";
import type { StrategyMap } from "../strategy/strategy-map.js";
import { checkApprovals, loadResumeState } from "./resume.js";
import type { ExecuteOptions } from "./run-setup.js";
import { strategyFingerprint, type SavedRunState } from "./state-file.js";
import { checkStateTarget } from "./state-target.js";

export interface ExecuteArgs {
  inputs: Record<string, unknown>;
  restored: SavedRunState | undefined;
  approvals: Record<string, ApprovalDecision>;
  /** The run keeps a state file (it saves one, or resumes from one). */
  durable: boolean;
}

/** Checks the arguments of `execute` for `strategy`; throws a TypeError (or a state file's error) that says what to pass. */
export async function executeArgs(strategy: StrategyMap, task: unknown, options: ExecuteOptions): Promise<ExecuteArgs> {
  if (typeof task !== "string") throw new TypeError(`Expected \`task\` to be a string, got ${typeof task}`);
  const given = options.inputs ?? {};
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    throw new TypeError("Expected `inputs` to be a plain object of template variables");
  }
  // Own data only, whatever the names: an input called `__proto__` must stay an input.
  let inputs = ownData(given);
  const bad = findNotShareable(inputs, "inputs");
  if (bad !== undefined) throw new TypeError(`${bad} cannot cross to a worker thread; pass plain data as inputs`);
  const durable = options.saveStateTo !== undefined || options.resumeFrom !== undefined;
  let restored: SavedRunState | undefined;
  if (options.resumeFrom !== undefined) {
    restored = await loadResumeState(options.resumeFrom, strategy, strategyFingerprint(strategy.toJSON()), task);
    inputs = ownData(restored.inputs, given);
  }
  const approvals = checkApprovals(options.approvals ?? {}, restored);
  if (options.saveStateTo !== undefined) {
    if (typeof options.saveStateTo !== "string" || options.saveStateTo === "") {
      throw new TypeError("Expected `saveStateTo` to be a file path");
    }
    await checkStateTarget(options.saveStateTo);
  }
  return { inputs, restored, approvals, durable };
}

/** A null-prototype copy of the own enumerable data of `sources`, later sources winning. */
function ownData(...sources: Record<string, unknown>[]): Record<string, unknown> {
  const copy: Record<string, unknown> = Object.create(null);
  for (const source of sources) for (const key of Object.keys(source)) copy[key] = source[key];
  return copy;
}
