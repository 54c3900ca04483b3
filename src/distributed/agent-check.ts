// What keeps a queue from being a way to run arbitrary code on a worker: a worker imports only agent
// modules under its allowed roots whose content (sha256) is the one the coordinator hashed.
import { createHash } from "node:crypto";
import { readFile, realpath } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AgentLoadError } from "../errors.js";
import type { ModuleHashes } from "./module-hashes.js";

/** The sha256 (hex) of the file at `moduleUrl` (a `file:` URL). */
export async function moduleHash(moduleUrl: string): Promise<string> {
  return createHash("sha256").update(await readFile(fileURLToPath(moduleUrl))).digest("hex");
}

/**
 * The URL a worker thread imports the module at `moduleUrl` by once its content was checked to hash
 * to `sha256`: the same URL with `?sha256=<hex>`. ESM caches a module per URL, so a thread that
 * imported one version of a file imports the next one anew instead of running the old code, and an
 * unchanged file keeps hitting the thread's cache. The old version stays in the thread's memory
 * (ESM never unloads a module): one copy per version a thread ran, which a deploy adds to rarely.
 * Only the agent file is versioned: the modules it imports are cached by their own URLs, so a
 * thread keeps the version of those it imported first (and a CommonJS file is cached by its path).
 */
export function versionedUrl(moduleUrl: string, sha256: string): string {
  const url = new URL(moduleUrl);
  url.searchParams.set("sha256", sha256);
  return url.href;
}

/** The real paths of `roots` (symlinks resolved), as a worker checks modules against them. */
export function allowedRoots(roots: readonly string[]): Promise<string[]> {
  return Promise.all(roots.map((root) => realpath(resolve(root))));
}

/**
 * Resolves if the module at `moduleUrl` is under one of `roots` and its content hashes to `hash`
 * (read from disk only if the file changed since `hashes` last read it); rejects with
 * `AgentLoadError` saying which check failed and what to do.
 */
export async function checkAgentModule(
  moduleUrl: string, hash: string, roots: readonly string[], where: { stepId: string; agent: string }, hashes: ModuleHashes,
): Promise<void> {
  const refuse = (why: string, cause?: unknown): AgentLoadError => new AgentLoadError(
    `agent ${where.agent} could not be loaded for step ${where.stepId} on this worker: ${why}`,
    { ...where, ...(cause === undefined ? {} : { cause }) },
  );
  let path: string;
  try {
    if (!moduleUrl.startsWith("file:")) throw refuse(`${moduleUrl} is not a file: URL`);
    path = await realpath(fileURLToPath(moduleUrl));
  } catch (error) {
    if (error instanceof AgentLoadError) throw error;
    throw refuse(`its module ${moduleUrl} is not on this machine (${(error as Error)?.message ?? String(error)}); workers need the same agent modules as the coordinator`, error);
  }
  if (!roots.some((root) => isUnder(path, root))) {
    throw refuse(`its module ${path} is outside the directories this worker may import from (${roots.join(", ")}); start the worker with --allow <dir>`);
  }
  let mine: string;
  try {
    mine = await hashes.of(path);
  } catch (error) {
    throw refuse(`its module ${path} cannot be read (${(error as Error)?.message ?? String(error)})`, error);
  }
  if (mine !== hash) {
    throw refuse(`its module ${path} differs from the coordinator's (sha256 ${mine.slice(0, 12)}... here, ${hash.slice(0, 12)}... there); deploy the same version to every worker`);
  }
}

function isUnder(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}
