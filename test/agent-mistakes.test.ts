// A newcomer's agent modules: each mistake gets a message that names it, where it is, what the
// caller wrote (addAgent("X", ...)) and what to do. Real threads, real modules in fixtures/mistakes.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { AgentNotShareableError, AgentPathError, ParallelOrchestrator, WavepoolError } from "wavepool";
import { MISTAKES, strategyOf } from "./helpers.js";

const paths: [what: string, ref: string | URL, message: RegExp][] = [
  ["a relative path", "./agents/writer.js",
    /^agent Writer: module path "\.\/agents\/writer\.js" is relative, .* module paths must be absolute or file: URLs\. Write addAgent\("Writer", new URL\("\.\/agents\/writer\.js", import\.meta\.url\)\) .* or addAgent\("Writer", path\.resolve\("\.\/agents\/writer\.js"\)\)/],
  ["a bare file name", "writer.js", /module path "writer\.js" is relative/],
  ["a URL that is not file:", new URL("https://example.com/agent.js"), /only file: URLs can be loaded in a worker thread, got https:\/\/example\.com\/agent\.js; check addAgent\("Writer", \.\.\.\)/],
  ["a file that is not there, with a sibling close to its name", join(MISTAKES, "syntax-eror.js"),
    new RegExp(`no file at ${escape(join(MISTAKES, "syntax-eror.js"))} \\(did you mean syntax-error\\.js\\?\\); check addAgent\\("Writer", \\.\\.\\.\\)$`)],
  ["a file: URL that is not there", new URL("./nowhere.js", new URL(`file://${MISTAKES}`)), /no file at .*nowhere\.js; check/],
  ["a folder that is not there", join(MISTAKES, "agents", "writer.js"), /no file at .*writer\.js: its folder .*agents does not exist/],
  ["a folder", join(MISTAKES, "cjs-package"), /cjs-package is a directory, not a module file/],
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

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
