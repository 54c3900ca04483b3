// Where a syntax error is in a module file. Node 20 gives the SyntaxError of an ES module that
// `import()` cannot parse no location at all (only CommonJS and vm errors carry "file:line" and a
// caret at the head of their stack), so when the stack has none, Node's own parser is asked:
// `node --check` in a child process, which reads the file and runs none of it. Error path only.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** A place in a source file; `line` and `column` count from 1, as editors do. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** How long `node --check` may take before the location is given up on. */
const CHECK_TIMEOUT_MS = 10_000;

/** Node options that change how a file parses (type stripping): the check must see the file as the workers do. */
const PARSE_FLAGS = /^--(no-)?experimental-(strip-types|transform-types|detect-module)$/;

/**
 * Where the syntax error of `file` is: from `stack` when Node put it there, else from `node --check`.
 * `"parses"` when `file` itself has no syntax error (the error is in a module it imports);
 * undefined when the location cannot be found out.
 */
export async function syntaxErrorLocation(file: string, stack: string | undefined): Promise<SourceLocation | "parses" | undefined> {
  const inStack = stack === undefined ? undefined : locationIn(stack);
  if (inStack !== undefined) return inStack;
  const flags = process.execArgv.filter((flag) => PARSE_FLAGS.test(flag));
  return new Promise((resolve) => {
    execFile(process.execPath, [...flags, "--check", file], { timeout: CHECK_TIMEOUT_MS, windowsHide: true }, (error, _stdout, stderr) => {
      resolve(error === null ? "parses" : locationIn(String(stderr)));
    });
  });
}

/**
 * The location Node prints at the head of a syntax error: `<file or file: URL>:<line>`, the source
 * line, then a caret under the column (the caret line repeats the source line's tabs, so its
 * length is the column in characters).
 * @example
 * locationIn("/a/agent.js:4\n  execute() { return a +; }\n                        ^\n\nSyntaxError: ..."); // { file: "/a/agent.js", line: 4, column: 25 }
 */
export function locationIn(text: string): SourceLocation | undefined {
  const match = /^(.+?):(\d+)\r?\n[^\n]*\n([ \t]*)\^/.exec(text);
  if (match === null) return undefined;
  let file = match[1]!;
  if (file.startsWith("file:")) {
    try {
      file = fileURLToPath(file);
    } catch {
      return undefined;
    }
  }
  return { file, line: Number(match[2]), column: match[3]!.length + 1 };
}
