// Flag parsing for every command, on node:util's parseArgs: strict (an unknown flag is a usage
// error, with the flag that was probably meant), with values checked here so that a bad value is
// named before anything runs.
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { ApprovalDecision } from "../agent.js";
import { MAX_TIMER_MS } from "../run/config.js";
import { SCHEDULING_MODES, type Scheduling } from "../schedule/scheduling.js";
import { didYouMean } from "../suggest.js";
import { UsageError } from "./cli-errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** parseArgs in strict mode; its errors become usage errors of `command`, a mistyped flag with a suggestion. */
export function parseFlags(command: string, argv: string[], options: Options): { values: Values; positionals: string[] } {
  const all: Options = { ...options, help: { type: "boolean", short: "h" } };
  try {
    const { values, positionals } = parseArgs({ args: argv, options: all, allowPositionals: true, strict: true });
    return { values: values as Values, positionals };
  } catch (error) {
    const unknown = (error as { code?: unknown }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" ? /^Unknown option '([^']+)'/.exec((error as Error).message)?.[1] : undefined;
    if (unknown !== undefined) throw new UsageError(unknownOption(unknown, Object.keys(all)), command);
    const message = (error as Error).message.replace(/\. To specify a positional argument starting with a '-'.*$/s, "");
    throw new UsageError(message, command);
  }
}

/**
 * `unknown option --concurency; did you mean --concurrency?`. Only a long flag gets a suggestion:
 * a single letter is one edit away from every other letter, so a guess there would be noise.
 */
function unknownOption(flag: string, names: string[]): string {
  const guess = flag.startsWith("--") ? didYouMean(flag.slice(2), names) : undefined;
  return `unknown option ${flag}${guess === undefined ? "" : `; did you mean --${guess}?`}`;
}

/**
 * `30s`, `1.5m`, `500ms`, or a bare number of milliseconds -> whole milliseconds, from 1 to Node's
 * timer maximum (2^31 - 1 ms, about 24.8 days: a longer timer would fire after 1 ms).
 */
export function parseDuration(flag: string, text: string, command: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(text.trim());
  if (m === null) throw new UsageError(`${flag} expects a duration such as 500ms, 30s or 2m, got ${JSON.stringify(text)}`, command);
  const ms = Math.round(Number(m[1]) * (m[2] === "m" ? 60_000 : m[2] === "s" ? 1000 : 1));
  if (ms < 1) throw new UsageError(`${flag} must be at least 1ms, got ${JSON.stringify(text)}`, command);
  if (ms > MAX_TIMER_MS) {
    throw new UsageError(`${flag} must be at most ${MAX_TIMER_MS}ms (about 24.8 days, Node's timer maximum), got ${JSON.stringify(text)}`, command);
  }
  return ms;
}

/** A whole number from 1 up. */
export function parseCount(flag: string, text: string, command: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${flag} expects a whole number from 1 up, got ${JSON.stringify(text)}`, command);
  }
  return n;
}

/** One of `choices`. */
export function parseChoice<T extends string>(flag: string, text: string, choices: readonly T[], command: string): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(`${flag} expects ${choices.join(" or ")}, got ${JSON.stringify(text)}`, command);
  }
  return text as T;
}

export function parseScheduling(text: string, command: string): Scheduling {
  return parseChoice("--scheduling", text, SCHEDULING_MODES, command);
}

/**
 * `--input key=value` pairs -> inputs. The value is JSON when it parses as JSON (`n=3`,
 * `tags=["a","b"]`), else the string as given (`topic=Rust`). A later pair wins.
 */
export function parseInputs(pairs: string[], command: string): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? "" : pair.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new UsageError(`--input expects key=value with a template variable name as key, got ${JSON.stringify(pair)}`, command);
    }
    const text = pair.slice(eq + 1);
    try {
      inputs[key] = JSON.parse(text);
    } catch {
      inputs[key] = text;
    }
  }
  return inputs;
}

/** `--approve step[=note]` and `--reject step[=note]` -> the `approvals` of `execute`. */
export function parseApprovals(approve: string[], reject: string[], command: string): Record<string, ApprovalDecision> {
  const approvals: Record<string, ApprovalDecision> = {};
  const add = (spec: string, approved: boolean): void => {
    const eq = spec.indexOf("=");
    const stepId = (eq < 0 ? spec : spec.slice(0, eq)).trim();
    if (stepId === "") throw new UsageError(`--${approved ? "approve" : "reject"} expects a step id, optionally =note`, command);
    if (approvals[stepId] !== undefined) throw new UsageError(`step ${stepId} is approved or rejected twice`, command);
    approvals[stepId] = eq < 0 ? { approved } : { approved, note: spec.slice(eq + 1) };
  };
  for (const spec of approve) add(spec, true);
  for (const spec of reject) add(spec, false);
  return approvals;
}

/** Exactly one positional: the strategy file. */
export function strategyFileOf(positionals: string[], command: string): string {
  if (positionals.length === 0) throw new UsageError(`${command} needs a strategy file (.yaml, .yml or .json)`, command);
  if (positionals.length > 1) throw new UsageError(`${command} takes one strategy file, got ${positionals.length}: ${positionals.join(" ")}`, command);
  return positionals[0]!;
}

export const strings = (value: Values[string]): string[] => (Array.isArray(value) ? value.map(String) : typeof value === "string" ? [value] : []);
export const string = (value: Values[string]): string | undefined => (typeof value === "string" ? value : undefined);
