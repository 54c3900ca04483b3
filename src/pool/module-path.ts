// Where an agent module is, checked when it is registered: a worker thread imports it by `file:`
// URL, so a relative path (relative to what, in a worker?) or another kind of URL is an
// AgentPathError at `addAgent`, whose stack points at the call that gave it. Whether the file is
// there is asked at preflight, like any module that fails to import (AgentLoadError): it may be
// built between registration and the run.
import { readdirSync, statSync, type Stats } from "node:fs";
import { basename, dirname, isAbsolute } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { AgentPathError } from "../errors.js";
import { didYouMean } from "../suggest.js";

/**
 * The `file:` URL of the module `ref` names for agent `name`, `declaredAs` saying where the caller
 * wrote it (`addAgent("Writer", ...)`). Throws AgentPathError saying what to write instead.
 */
export function moduleUrl(name: string, ref: string | URL, declaredAs: string): string {
  const given = String(ref);
  const fail = (message: string, cause?: unknown): never => {
    throw new AgentPathError(`agent ${name}: ${message}`, { agent: name, module: given, ...(cause === undefined ? {} : { cause }) });
  };
  let file: string;
  if (ref instanceof URL || ref.startsWith("file:")) {
    let url: URL;
    try {
      url = new URL(ref);
    } catch (error) {
      return fail(`${JSON.stringify(given)} is not a valid file: URL; check ${declaredAs}`, error);
    }
    if (url.protocol !== "file:") return fail(`only file: URLs can be loaded in a worker thread, got ${url.href}; check ${declaredAs}`);
    try {
      file = fileURLToPath(url);
    } catch (error) {
      return fail(`${url.href} does not name a local file (${(error as Error).message}); check ${declaredAs}`, error);
    }
  } else if (isAbsolute(ref)) {
    file = ref;
  } else {
    const literal = JSON.stringify(ref);
    return fail(
      `module path ${literal} is relative, and a worker thread cannot know what it is relative to: module paths must be ` +
        `absolute or file: URLs. Write addAgent(${JSON.stringify(name)}, new URL(${literal}, import.meta.url)) for a path relative ` +
        `to the calling module, or addAgent(${JSON.stringify(name)}, path.resolve(${literal})) for one relative to the working directory`,
    );
  }
  return pathToFileURL(file).href;
}

/**
 * Why `file` cannot be imported as a module file, or undefined when it can: no such file (with a
 * did-you-mean over the files beside it), no such folder, or a folder where a file was meant.
 */
export function missingFile(file: string): string | undefined {
  let stat: Stats | undefined;
  try {
    stat = statSync(file, { throwIfNoEntry: false });
  } catch (error) {
    // A file where a folder was meant (ENOTDIR) is a missing file; anything else (EACCES) the import will tell.
    if ((error as NodeJS.ErrnoException).code !== "ENOTDIR") return undefined;
  }
  if (stat?.isFile()) return undefined;
  if (stat !== undefined) return `${file} is a directory, not a module file; name the file itself (e.g. ${file}/index.js)`;
  const dir = dirname(file);
  let siblings: string[];
  try {
    siblings = readdirSync(dir);
  } catch {
    return `no file at ${file}: its folder ${dir} does not exist`;
  }
  const guess = didYouMean(basename(file), siblings);
  return `no file at ${file}${guess === undefined ? "" : ` (did you mean ${guess}?)`}`;
}
