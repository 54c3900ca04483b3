// A newcomer's agent modules: each mistake gets a message that names it, where it is, what the
// caller wrote (addAgent("X", ...)) and what to do. Real threads, real modules in fixtures/mistakes.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { AgentLoadError, AgentNotShareableError, AgentPathError, ParallelOrchestrator, WavepoolError } from "wavepool";
import { esmInCommonJsScope } from "../src/pool/module-format.js";
import { locationIn } from "../src/pool/syntax-location.js";
import { broken, commonJsProject, MISTAKES, strategyOf } from "./helpers.js";

/** Runs one step of `Writer` from `module` on `threads` threads and returns the preflight's AgentLoadError. */
async function loadError(module: string | { module: string; declaredAs: string }, threads = 1): Promise<AgentLoadError> {
  const o = new ParallelOrchestrator(strategyOf(["write", "Writer", "{{ task }}"]), { threads }).addAgent("Writer", module);
  after(() => o.close());
  const events: string[] = [];
  let caught: unknown;
  await assert.rejects(o.execute("t", { onEvent: (e) => events.push(e.type) }), (e: unknown) => ((caught = e), true));
  assert.ok(caught instanceof AgentLoadError, String(caught));
  assert.equal(caught.agent, "Writer");
  assert.deepEqual(events, [], "nothing ran");
  return caught;
}

test("a .ts agent: agents run in workers as JavaScript, compile it or strip types; loaders do not reach workers", async () => {
  const file = join(MISTAKES, "typescript-agent.ts");
  const { message, cause } = await loadError(file);
  assert.ok(message.startsWith(`agent Writer could not be loaded from ${file}: it is TypeScript, and agents run in worker threads as JavaScript ES modules. `), message);
  assert.match(message, /Compile it \(tsc\) and point addAgent\("Writer", \.\.\.\) at the \.js file it emits/);
  assert.match(message, /on Node >= 22\.6, use type stripping \(node --experimental-strip-types\)/);
  assert.match(message, /a tsx or ts-node loader on the main thread does not reach worker threads/);
  assert.equal((cause as { code?: string }).code, "ERR_UNKNOWN_FILE_EXTENSION");
});

test("an ES module .js in a package without \"type\": told once, before any thread imports it, naming the package.json", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "wavepool-newcomer-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = await commonJsProject(dir);
  const packageJson = join(dir, "package.json");
  const { message } = await loadError(file, 4);
  assert.equal(message,
    `agent Writer could not be loaded from ${file}: it is written as an ES module (import/export), but ${packageJson} has no "type" field, ` +
    `so Node reads .js files there as CommonJS. Set "type": "module" in ${packageJson}, or rename agent.js to agent.mjs and update addAgent("Writer", ...).`);
});

test("a syntax error: the file, line and column", async () => {
  const file = join(MISTAKES, "syntax-error.js");
  const { message } = await loadError(file, 2);
  assert.equal(message, `agent Writer could not be loaded from ${file}: syntax error at ${file}:9:37: Unexpected token ';'.`);
});

test("a SyntaxError thrown while the module runs (bad JSON) is Node's message, not a syntax error of the file", async () => {
  const { message } = await loadError(fileURLToPath(broken("bad-json-on-import")));
  assert.doesNotMatch(message, /syntax error/);
  assert.match(message, /bad-json-on-import\.js: .*JSON.*Check addAgent\("Writer", \.\.\.\) and that the module's "default" export is defineAgent/);
});

test("the hint names what the caller wrote when it says (declaredAs), e.g. a strategy file's field", async () => {
  const { message } = await loadError({ module: join(MISTAKES, "typescript-agent.ts"), declaredAs: "agents.Writer in flow.yaml" });
  assert.match(message, /point agents\.Writer in flow\.yaml at the \.js file it emits/);
  assert.doesNotMatch(message, /addAgent/);
  const o = new ParallelOrchestrator(strategyOf());
  assert.throws(() => o.addAgent("W", { module: join(MISTAKES, "syntax-error.js"), declaredAs: "" }), /declaredAs` must be a non-empty string/);
});

const paths: [what: string, ref: string | URL, message: RegExp][] = [
  ["a relative path", "./agents/writer.js",
    /^agent Writer: module path "\.\/agents\/writer\.js" is relative, .* module paths must be absolute or file: URLs\. Write addAgent\("Writer", new URL\("\.\/agents\/writer\.js", import\.meta\.url\)\) .* or addAgent\("Writer", path\.resolve\("\.\/agents\/writer\.js"\)\)/],
  ["a bare file name", "writer.js", /module path "writer\.js" is relative/],
  ["a URL that is not file:", new URL("https://example.com/agent.js"), /only file: URLs can be loaded in a worker thread, got https:\/\/example\.com\/agent\.js; check addAgent\("Writer", \.\.\.\)/],
];
for (const [what, ref, message] of paths) {
  test(`addAgent refuses ${what} with AgentPathError saying what to write`, () => {
    const o = new ParallelOrchestrator(strategyOf());
    assert.throws(() => o.addAgent("Writer", ref), (e: unknown) => {
      assert.ok(e instanceof AgentPathError, String(e));
      assert.ok(e instanceof WavepoolError);
      assert.ok(!(e instanceof AgentNotShareableError), "a path is not a sharing problem");
      assert.equal(e.code, "WAVEPOOL_AGENT_PATH");
      assert.equal(e.agent, "Writer");
      assert.equal(e.module, String(ref));
      assert.match(e.message, message);
      return true;
    });
  });
}

// Whether the file is there is asked at preflight (it may be built after addAgent), like any
// module that fails to import: AgentLoadError before any step runs, saying what is missing.
const missing: [what: string, ref: string, message: RegExp][] = [
  ["a file that is not there, with a sibling close to its name", join(MISTAKES, "syntax-eror.js"),
    new RegExp(`no file at ${escape(join(MISTAKES, "syntax-eror.js"))} \\(did you mean syntax-error\\.js\\?\\); check addAgent\\("Writer", \\.\\.\\.\\)\\.$`)],
  ["a file: URL that is not there", new URL("./nowhere.js", new URL(`file://${MISTAKES}/`)).href, /no file at .*nowhere\.js; check/],
  ["a folder that is not there", join(MISTAKES, "agents", "writer.js"), /no file at .*writer\.js: its folder .*agents does not exist/],
  ["a folder", join(MISTAKES, "cjs-package"), /cjs-package is a directory, not a module file/],
];
for (const [what, ref, message] of missing) {
  test(`preflight refuses ${what} with AgentLoadError saying what is missing`, async () => {
    const error = await loadError(ref);
    assert.match(error.message, message);
  });
}

test("esmInCommonJsScope: only import/export in a .js file that Node reads as CommonJS", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "wavepool-scope-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const write = async (name: string, text: string) => {
    await writeFile(join(dir, name), text);
    return join(dir, name);
  };
  await write("package.json", JSON.stringify({ name: "x", type: "commonjs" }));
  const esm = await write("esm.js", "export default 1;\n");
  assert.deepEqual(await esmInCommonJsScope(esm), { packageJson: join(dir, "package.json"), type: "commonjs" });
  assert.ok(await esmInCommonJsScope(await write("meta.js", "console.log(import.meta.url);\n")));
  assert.equal(await esmInCommonJsScope(await write("cjs.js", "module.exports = { a: require('node:path') };\n")), undefined);
  assert.equal(await esmInCommonJsScope(await write("broken.js", "const = ;\n")), undefined, "another syntax error is the import's to report");
  assert.equal(await esmInCommonJsScope(await write("esm.mjs", "export default 1;\n")), undefined);
  await write("package.json", JSON.stringify({ name: "x", type: "module" }));
  assert.equal(await esmInCommonJsScope(esm), undefined);
});

test("locationIn reads Node's 'file:line, source, caret' head, by path or file: URL, tabs counted as one column", () => {
  assert.deepEqual(locationIn("/a/agent.js:4\n  return a +;\n            ^\n\nSyntaxError: x"), { file: "/a/agent.js", line: 4, column: 13 });
  assert.deepEqual(locationIn("file:///a/b%20c.mjs:12\n\tx +;\n\t   ^\n\nSyntaxError: x"), { file: "/a/b c.mjs", line: 12, column: 5 });
  assert.equal(locationIn("SyntaxError: Unexpected token ';'\n    at compileSourceTextModule (node:internal/modules/esm/utils:346:16)"), undefined);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
