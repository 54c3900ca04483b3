// Reads a strategy file (YAML or JSON, by extension): its steps through StrategyMap.fromJSON, its
// `agents` map checked here, module paths resolved against the file's own directory.
import { readFile } from "node:fs/promises";
import { dirname, extname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseDocument } from "yaml";
import { StrategyValidationError, UnknownAgentError } from "../errors.js";
import type { AgentRef } from "../pool/agent-registry.js";
import { missingFile } from "../pool/module-path.js";
import type { Shareable } from "../pool/shareable.js";
import { unknownField } from "../strategy/strategy-json.js";
import { StrategyMap } from "../strategy/strategy-map.js";
import { didYouMean } from "../suggest.js";
import { FileError } from "./cli-errors.js";

export interface StrategyFile {
  /** The path as the user gave it (used in messages). */
  file: string;
  strategy: StrategyMap;
  /** Agents by name, module paths made absolute, each `declaredAs` its field (`agents.Writer`). */
  agents: Map<string, AgentRef>;
}

const AGENT_KEYS = new Set(["module", "export", "options"]);

/**
 * Loads and checks `file`. Invalid content throws StrategyValidationError with the bad field's path.
 * `checkModules: false` skips the check that each agent module exists: `plan` and `graph` only read
 * the steps, so they work before the agents are built (default: true).
 */
export async function loadStrategyFile(file: string, { checkModules = true } = {}): Promise<StrategyFile> {
  const ext = extname(file).toLowerCase();
  if (![".yaml", ".yml", ".json"].includes(ext)) {
    throw new FileError(file, undefined, "a strategy file must end in .yaml, .yml or .json");
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FileError(file, undefined, code === "ENOENT" ? "no such file" : `cannot read it (${code ?? (error as Error).message})`, { cause: error });
  }
  const json = ext === ".json" ? parseJson(file, text) : parseYaml(file, text);
  const strategy = StrategyMap.fromJSON(json);
  const raw = (json as { agents?: Record<string, unknown> }).agents ?? {};
  const agents = new Map<string, AgentRef>();
  for (const [name, value] of Object.entries(raw)) agents.set(name, agentRef(name, value, dirname(resolve(file)), checkModules));
  return { file, strategy, agents };
}

/** Every step's agent must be in the file's `agents` map (what `run` needs; `plan` and `graph` do not). */
export function requireAgents({ strategy, agents }: StrategyFile): void {
  strategy.steps.forEach((step, i) => {
    if (agents.has(step.assignedAgent)) return;
    const known = [...agents.keys()];
    const guess = didYouMean(step.assignedAgent, known);
    throw new UnknownAgentError(
      `step ${step.stepId} uses agent ${step.assignedAgent}, which the file's agents map does not name; ` +
        (guess === undefined ? "" : `did you mean ${guess}? Otherwise `) +
        `add it under agents (${known.length ? `known: ${known.join(", ")}` : "the map is empty"})`,
      { path: `steps[${i}].agent`, stepId: step.stepId, agent: step.assignedAgent },
    );
  });
}

function parseJson(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FileError(file, undefined, `invalid JSON: ${(error as Error).message}`);
  }
}

function parseYaml(file: string, text: string): unknown {
  const doc = parseDocument(text);
  const error = doc.errors[0];
  if (error !== undefined) {
    const at = error.linePos?.[0];
    const message = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw new FileError(file, at ? `line ${at.line}, column ${at.col}` : undefined, `invalid YAML: ${message}`);
  }
  return doc.toJS();
}

function agentRef(name: string, value: unknown, dir: string, mustExist: boolean): AgentRef {
  const path = `agents.${name}`;
  const fail = (where: string, message: string): never => {
    throw new StrategyValidationError(message, { path: where, agent: name });
  };
  // Load errors name the field the user wrote (`agents.Writer`), not an addAgent call they never made.
  if (typeof value === "string") return { module: modulePath(value, path, dir, fail, mustExist), declaredAs: path };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail(path, `expected a module path or { module, export?, options? }, got ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`);
  }
  const spec = value as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!AGENT_KEYS.has(key)) fail(`${path}.${key}`, unknownField(key, AGENT_KEYS, "an agent"));
  }
  if (typeof spec.module !== "string") fail(`${path}.module`, `expected a module path, got ${spec.module === undefined ? "nothing (the field is missing)" : typeof spec.module}`);
  if (spec.export !== undefined && typeof spec.export !== "string") fail(`${path}.export`, `expected the name of an export, got ${typeof spec.export}`);
  const ref: { module: string; export?: string; options?: Shareable; declaredAs: string } = {
    module: modulePath(spec.module as string, `${path}.module`, dir, fail, mustExist), declaredAs: path,
  };
  if (spec.export !== undefined) ref.export = spec.export as string;
  if (spec.options !== undefined) ref.options = spec.options as Shareable;
  return ref;
}

/** A path relative to the strategy file's directory (or absolute, or a file: URL) -> an absolute path that exists. */
function modulePath(text: string, path: string, dir: string, fail: (where: string, message: string) => never, mustExist: boolean): string {
  if (text.trim() === "") fail(path, "expected a module path, got an empty string");
  let absolute: string;
  try {
    absolute = text.startsWith("file:") ? fileURLToPath(text) : isAbsolute(text) ? text : resolve(dir, text);
  } catch (error) {
    return fail(path, `${JSON.stringify(text)} is not a valid file URL: ${(error as Error).message}`);
  }
  const missing = mustExist ? missingFile(absolute) : undefined;
  if (missing !== undefined) fail(path, `no such module ${JSON.stringify(text)}: ${missing}; paths are relative to the strategy file`);
  return absolute;
}
