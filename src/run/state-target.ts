// Where a state file goes: the check `execute` makes on `saveStateTo` before a run starts, the error
// a failed write becomes, and the `stateError` a result reports when its state file went stale.
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { StateFileError } from "../errors.js";
import type { StateError } from "./result.js";

/**
 * Throws `StateFileError` (with the path and what to do) unless a state can be written at `file`: its
 * folder exists and is writable, and `file` is absent or a regular file (a directory cannot be
 * replaced, and a device or pipe must not be).
 * @example await checkStateTarget(options.saveStateTo);
 */
export async function checkStateTarget(file: string): Promise<void> {
  const fail = (why: string, cause?: unknown): never => {
    throw new StateFileError(`saveStateTo ${file} ${why}`, { path: file, cause });
  };
  const dir = dirname(resolve(file));
  const folder = await stat(dir).catch((error: unknown) =>
    codeOf(error) === "ENOENT" || codeOf(error) === "ENOTDIR"
      ? fail(`is in a folder that does not exist (${dir}); create the folder first, or save the state elsewhere`, error)
      : fail(`cannot be checked: ${messageOf(error)}`, error));
  if (!folder.isDirectory()) fail(`is in ${dir}, which is not a folder; pass a path inside a folder`);
  const target = await stat(file).catch((error: unknown) =>
    codeOf(error) === "ENOENT" ? undefined
      : codeOf(error) === "EACCES" || codeOf(error) === "EPERM"
        ? fail(`cannot be written: no permission to look into ${dir}; choose a folder you can write to`, error)
        : fail(`cannot be checked: ${messageOf(error)}`, error));
  if (target?.isDirectory()) fail(`is a directory; pass a file path, e.g. ${join(file, "run.state")}`);
  if (target !== undefined && !target.isFile()) fail("is not a regular file (a device, pipe or socket); pass a path for a state file");
  await access(dir, constants.W_OK | constants.X_OK).catch((error: unknown) =>
    fail(`cannot be written: no permission to create files in ${dir}; choose a writable folder`, error));
}

/**
 * The error a failed state write becomes: a `StateFileError` naming `file`, with the write error as
 * its cause and, for the usual system errors, what to do.
 */
export function stateFileError(file: string, cause: unknown): StateFileError {
  const hint = HINTS[codeOf(cause) ?? ""];
  return new StateFileError(`the state could not be saved to ${file}: ${messageOf(cause)}${hint ? `; ${hint}` : ""}`, { path: file, cause });
}

const HINTS: Record<string, string> = {
  ENOENT: "its folder does not exist; create it, or save the state elsewhere",
  ENOTDIR: "a part of its folder path is a file, not a folder",
  EISDIR: "it is a directory; pass a file path",
  EACCES: "check the permissions of the file and its folder",
  EPERM: "check the permissions of the file and its folder",
  EROFS: "the file system is read-only; save the state elsewhere",
  ENOSPC: "the disk is full; free space, then resume from the last state saved",
  EDQUOT: "the disk quota is exceeded; free space, then resume from the last state saved",
};

/**
 * What a result reports in `stateError` when the state at `path` could not be saved: the error's
 * message (which names the path) and the name and code of the underlying failure (`ENOSPC`,
 * `EACCES`...), so that callers can tell a full disk from a permission problem.
 * @example result.stateError = stateErrorOf(error, writer.file);
 */
export function stateErrorOf(error: unknown, path: string): StateError {
  const cause = error instanceof StateFileError && error.cause !== undefined ? error.cause : error;
  const name = (cause as { name?: unknown } | null)?.name;
  const report: StateError = { path, name: typeof name === "string" ? name : "Error", message: messageOf(error) };
  const code = codeOf(cause);
  if (code !== undefined) report.code = code;
  return report;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return "an error that cannot be described";
  }
}
