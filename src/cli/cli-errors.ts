// How the CLI reports what went wrong: one line for a user's mistake (a bad flag, an invalid
// strategy file, an agent that does not load), a stack trace only for a bug of ours.
import {
  AgentLoadError, AgentNotShareableError, AgentPathError, InvalidApprovalError, StateMismatchError, StrategyValidationError, UnknownInputError,
  WavepoolError,
} from "../errors.js";
import { safeLines, safeText } from "./safe-text.js";

/** Exit codes of `wavepool` (the contract's "Command line"). */
export const EXIT = {
  ok: 0,
  stepFailed: 1,
  usage: 2,
  paused: 3,
  cancelled: 130,
} as const;

/** What a command tells `main` while it runs: the strategy file, for error messages. */
export interface CommandContext {
  file?: string;
}

/**
 * A mistake in how the command was called. It stays inside the CLI, so it is not one of the
 * library's exported errors: `wavepool` prints its message and the command's `--help` hint.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** A file the user named could not be read, parsed or written; `where` is a line/column or field path. */
export class FileError extends Error {
  override readonly name = "FileError";
  readonly file: string;
  constructor(file: string, where: string | undefined, message: string, options?: { cause?: unknown }) {
    super(where === undefined ? `${file}: ${message}` : `${file}: ${where}: ${message}`, options);
    this.file = file;
  }
}

/**
 * What to print for `error` and the exit code that goes with it. Messages quote files, paths and
 * what agents threw, so each is escaped with `safeText`: one line per message, a usage hint aside.
 */
export function describeFailure(error: unknown, strategyFile: string | undefined): { message: string; code: number } {
  const t = safeText;
  const file = t(strategyFile ?? "strategy");
  if (error instanceof UsageError) {
    const help = error.command === undefined ? "wavepool --help" : `wavepool ${error.command} --help`;
    return { message: `wavepool: ${t(error.message)}\nSee '${t(help)}'.`, code: EXIT.usage };
  }
  if (error instanceof FileError) return { message: t(error.message), code: EXIT.usage };
  if (error instanceof UnknownInputError && error.variable !== undefined) {
    const hint = ` (on the command line: --input ${t(error.variable)}=VALUE)`;
    return { message: `${file}: ${t(error.message)}${hint}`, code: EXIT.usage };
  }
  if (error instanceof StrategyValidationError || error instanceof AgentNotShareableError || error instanceof AgentPathError) {
    // The message starts with the field path already (`steps[2].agent: ...`).
    return { message: `${file}: ${t(error.message)}`, code: EXIT.usage };
  }
  if (error instanceof AgentLoadError) {
    const where = error.agent === undefined ? "" : `agents.${t(error.agent)}: `;
    return { message: `${file}: ${where}${t(error.message)}`, code: EXIT.usage };
  }
  if (error instanceof StateMismatchError || error instanceof InvalidApprovalError) {
    return { message: `wavepool: ${t(error.message)}`, code: EXIT.usage };
  }
  if (error instanceof WavepoolError) return { message: `wavepool: ${t(error.name)}: ${t(error.message)}`, code: EXIT.usage };
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === "string" && /^E[A-Z]+$/.test(code)) {
    // A system error (ENOENT, EACCES...) on a path the user gave: their mistake, told in one line.
    return { message: `wavepool: ${t(error.message)}`, code: EXIT.usage };
  }
  const text = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  return { message: `wavepool: internal error, please report it:\n${safeLines(text)}`, code: EXIT.stepFailed };
}
