// Runs the built `wavepool` command as a child process, in a temp dir of strategy files.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { agent } from "./helpers.js";

export const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
/** Static strategy files (not compiled: read from the source tree). */
export const STRATEGIES = fileURLToPath(new URL("../../test/fixtures/strategies/", import.meta.url));
/** Absolute path of a compiled fixture agent. */
export const fixture = (name: string): string => fileURLToPath(agent(name));

/** A temp dir made before the file's tests and removed after them. */
export function tempDir(): () => string {
  let dir = "";
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "wavepool-cli-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  return () => dir;
}

export interface Exit { code: number | null; stdout: string; stderr: string }

/** The environment of a user who set nothing of ours. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.WAVEPOOL_LOG_LEVEL;
  delete env.NO_COLOR;
  delete env.npm_config_dynamic; // `npm start --dynamic` (examples/start-args.ts)
  delete env.WAVEPOOL_REDIS_URL;
  return env;
}

export function start(args: string[], cwd: string): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], { cwd, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
}

/** Collects the child's output until it exits. */
export function finished(child: ChildProcess): Promise<Exit> {
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export const cli = (args: string[], cwd = tmpdir()): Promise<Exit> => finished(start(args, cwd));

/** Runs another built script as the command is run (the `npm start` launcher, dist/examples/start.js). */
export const script = (path: string, args: string[], cwd = tmpdir(), env: NodeJS.ProcessEnv = {}): Promise<Exit> =>
  finished(spawn(process.execPath, [path, ...args], { cwd, env: { ...cleanEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] }));

export async function writeIn(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** A YAML strategy whose `agents` name modules by absolute path; `steps` are flow-style lines. */
export function yaml(agents: Record<string, string>, steps: string[]): string {
  return [
    "goal: CLI test",
    "agents:",
    ...Object.entries(agents).map(([name, module]) => `  ${name}: ${JSON.stringify(module)}`),
    "steps:",
    ...steps.map((s) => `  - ${s}`),
    "",
  ].join("\n");
}
