// Whether an agent module is an ES module that Node would read as CommonJS: a `.js` file written
// with import/export in a package whose package.json has no "type": "module" (what `npm init -y`
// makes). Node 20.0 to 20.18 fail it with "Cannot use import statement outside a module"; later
// versions parse it twice and print a warning from every worker thread that imports it. Asked on
// the main thread before any worker imports the module, so the user is told once, the same way
// on every Node version.
import { readFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { compileFunction } from "node:vm";

/** The package.json that decides how Node reads a file, and its `type` field. */
export interface PackageScope {
  /** Absolute path of the package.json; undefined when no folder above the file has one. */
  packageJson: string | undefined;
  /** Its `type` field as written ("commonjs", anything else, or undefined when absent). */
  type: unknown;
}

/** What V8 says when module syntax is compiled as a script: the messages Node's own detection looks for. */
const MODULE_SYNTAX = new Set([
  "Cannot use import statement outside a module",
  "Unexpected token 'export'",
  "Cannot use 'import.meta' outside a module",
]);

/**
 * The package scope of `file` when it is a `.js` file Node reads as CommonJS although it uses ES
 * module syntax; undefined otherwise (an ES module scope, `.mjs`/`.cjs`, real CommonJS, a file
 * that cannot be read: the import will tell).
 */
export async function esmInCommonJsScope(file: string): Promise<PackageScope | undefined> {
  if (extname(file) !== ".js") return undefined;
  const scope = await packageScope(dirname(file));
  if (scope.type === "module") return undefined;
  let source: string;
  try {
    source = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  try {
    // Compiled the way Node's CommonJS loader compiles it, never run.
    compileFunction(source, ["exports", "require", "module", "__filename", "__dirname"], { filename: file });
    return undefined;
  } catch (error) {
    return isModuleSyntaxError((error as Error)?.message) ? scope : undefined;
  }
}

/** Whether `message` is what V8 says of import/export compiled as CommonJS. */
export function isModuleSyntaxError(message: unknown): boolean {
  return typeof message === "string" && MODULE_SYNTAX.has(message);
}

/** The nearest package.json at or above `dir`, as Node looks it up (stopping at a node_modules folder). */
export async function packageScope(dir: string): Promise<PackageScope> {
  for (let at = dir; ; at = dirname(at)) {
    const packageJson = join(at, "package.json");
    let text: string | undefined;
    try {
      text = await readFile(packageJson, "utf8");
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      let type: unknown;
      try {
        type = (JSON.parse(text) as { type?: unknown } | null)?.type;
      } catch {
        type = undefined;
      }
      return { packageJson, type };
    }
    if (basename(at) === "node_modules" || dirname(at) === at) return { packageJson: undefined, type: undefined };
  }
}
