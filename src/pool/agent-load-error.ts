// The AgentLoadError of an agent module that does not load, told as the mistake it is: TypeScript
// given to a worker thread, ES module syntax in a CommonJS package, a syntax error (with its file,
// line and column), a file gone since `addAgent`; else what Node said. Each names what the caller
// wrote (`declaredAs`: `addAgent("Writer", ...)`, or `agents.Writer` from a strategy file).
import { existsSync } from "node:fs";
import { basename, dirname, extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { AgentErrorInfo } from "../error-serial.js";
import { AgentLoadError } from "../errors.js";
import { esmInCommonJsScope, isModuleSyntaxError, packageScope, type PackageScope } from "./module-format.js";
import { missingFile } from "./module-path.js";
import type { AgentSpec } from "./protocol.js";
import { locationIn, syntaxErrorLocation } from "./syntax-location.js";

/**
 * What is wrong with `spec`'s module before any worker imports it (no such file; an ES module Node
 * would read as CommonJS: each thread would fail, or warn, alike), or undefined when nothing is known wrong.
 */
export async function checkBeforeImport(spec: AgentSpec, declaredAs: string): Promise<AgentLoadError | undefined> {
  const file = fileURLToPath(spec.module);
  const missing = missingFile(file);
  if (missing !== undefined) return new AgentLoadError(`${head(spec, file)}${missing}; check ${declaredAs}.`, { agent: spec.name });
  const scope = await esmInCommonJsScope(file);
  if (scope === undefined) return undefined;
  return new AgentLoadError(`${head(spec, file)}${commonJsScope("it", file, scope, declaredAs)}`, { agent: spec.name });
}

/** AgentLoadError for `spec`, whose import failed in a worker with `error`. */
export async function importFailed(spec: AgentSpec, declaredAs: string, error: AgentErrorInfo): Promise<AgentLoadError> {
  const file = fileURLToPath(spec.module);
  const cause = Object.assign(new Error(error.message + (error.stack ? `\n${error.stack}` : "")), { name: error.name });
  if (error.code !== undefined) Object.assign(cause, { code: error.code });
  return new AgentLoadError(`${head(spec, file)}${await explain(spec, file, declaredAs, error)}`, { agent: spec.name, cause });
}

/**
 * Whether a SyntaxError was thrown by running code (`JSON.parse` of a bad file at the top level)
 * rather than by Node parsing a module: the stack of a parse error holds only Node's own frames.
 */
function thrownByCode(stack: string | undefined): boolean {
  return (stack ?? "").split("\n").some((line) => /^\s+at /.test(line) && !/\(node:[^)]*\)$|^\s+at (async )?node:/.test(line));
}

function head(spec: AgentSpec, file: string): string {
  return `agent ${spec.name} could not be loaded from ${file}: `;
}

async function explain(spec: AgentSpec, file: string, declaredAs: string, error: AgentErrorInfo): Promise<string> {
  const ts = error.code === "ERR_UNKNOWN_FILE_EXTENSION" ? /"\.[cm]?tsx?" for (.+)$/.exec(error.message) : null;
  if (ts !== null) return typeScript(file, ts[1]!, declaredAs);
  if (error.name === "SyntaxError" && isModuleSyntaxError(error.message)) {
    // Node 20.0 to 20.18 (the agent file itself was checked before the import: a module it imports).
    const culprit = (error.stack === undefined ? undefined : locationIn(error.stack))?.file ?? file;
    const subject = culprit === file ? "it" : `${culprit}, which it imports,`;
    return commonJsScope(subject, culprit, await packageScope(dirname(culprit)), declaredAs);
  }
  if (error.name === "SyntaxError" && !thrownByCode(error.stack)) {
    const location = await syntaxErrorLocation(file, error.stack);
    if (location === "parses") {
      return `a module it imports has a syntax error: ${error.message}. The agent file itself parses; run node --check on the modules it imports to find the one.`;
    }
    if (location === undefined) return `it has a syntax error: ${error.message}. Run node --check ${file} to see where.`;
    const where = `${location.file}:${location.line}:${location.column}`;
    return location.file === file
      ? `syntax error at ${where}: ${error.message}.`
      : `a module it imports has a syntax error at ${where}: ${error.message}.`;
  }
  const missing = missingFile(file);
  if (missing !== undefined) return `${missing} (it was there when the agent was registered); check ${declaredAs}.`;
  return `${error.message}. Check ${declaredAs} and that the module's ${JSON.stringify(spec.export)} export is defineAgent({...}).`;
}

function typeScript(file: string, tsFile: string, declaredAs: string): string {
  const run = "agents run in worker threads as JavaScript ES modules";
  const strip = "or, on Node >= 22.6, use type stripping (node --experimental-strip-types); a tsx or ts-node loader on the main thread does not reach worker threads";
  if (tsFile !== file) return `it imports ${tsFile}, which is TypeScript, and ${run}. Compile it (tsc) and import the .js file it emits, ${strip}.`;
  const js = `${file.slice(0, -extname(file).length)}.js`;
  const beside = existsSync(js) ? ` (${basename(js)} is beside it)` : "";
  return `it is TypeScript, and ${run}. Compile it (tsc) and point ${declaredAs} at the .js file it emits${beside}, ${strip}.`;
}

function commonJsScope(subject: string, file: string, scope: PackageScope, declaredAs: string): string {
  const mjs = `${basename(file, ".js")}.mjs`;
  const rename = `rename ${basename(file)} to ${mjs}${subject === "it" ? ` and update ${declaredAs}` : " and the imports of it"}`;
  if (scope.packageJson === undefined) {
    return `${subject} is written as an ES module (import/export), but no package.json above it says "type": "module", so Node reads it as CommonJS. ` +
      `Add a package.json with "type": "module" to its folder, or ${rename}.`;
  }
  const has = scope.type === undefined ? `has no "type" field` : `has "type": ${JSON.stringify(scope.type)}`;
  return `${subject} is written as an ES module (import/export), but ${scope.packageJson} ${has}, so Node reads .js files there as CommonJS. ` +
    `Set "type": "module" in ${scope.packageJson}, or ${rename}.`;
}
