// `wavepool run` with a newcomer's agent modules: exit 2, one message naming the strategy file's
// field (agents.Writer) and what to do, said once however many threads would have imported it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { cli, tempDir, writeIn, yaml } from "./cli-process.js";
import { commonJsProject, MISTAKES } from "./helpers.js";

const tmp = tempDir();

/** Runs a one-step strategy whose Writer agent is `module`, on four threads. */
async function run(module: string) {
  await writeIn(tmp(), "flow.yaml", yaml({ Writer: module }, ["{ id: write, description: W, agent: Writer, intent: '{{ task }}', output: article }"]));
  const exit = await cli(["run", "flow.yaml", "--concurrency", "4"], tmp());
  assert.equal(exit.code, 2, exit.stderr);
  assert.equal(exit.stdout, "");
  assert.doesNotMatch(exit.stderr, /^\s+at /m, "no stack trace");
  return exit.stderr;
}

test("a .ts agent: exit 2, point agents.Writer at the compiled .js or strip types", async () => {
  const stderr = await run(join(MISTAKES, "typescript-agent.ts"));
  assert.match(stderr, /^flow\.yaml: agents\.Writer: agent Writer could not be loaded from .*typescript-agent\.ts: it is TypeScript, and agents run in worker threads as JavaScript ES modules\./);
  assert.match(stderr, /Compile it \(tsc\) and point agents\.Writer at the \.js file it emits, or, on Node >= 22\.6, use type stripping \(node --experimental-strip-types\)/);
  assert.doesNotMatch(stderr, /addAgent/, "the user wrote no addAgent call");
});

test("an ES module agent in a package without \"type\": the fix said once, and no warning from any worker thread", async () => {
  // Node >= 20.19 would load it, reparsing it in each of the four threads and warning from each.
  const agent = await commonJsProject(join(tmp(), "project"));
  const stderr = await run(agent);
  const packageJson = join(tmp(), "project", "package.json");
  assert.equal(stderr,
    `flow.yaml: agents.Writer: agent Writer could not be loaded from ${agent}: it is written as an ES module (import/export), ` +
    `but ${packageJson} has no "type" field, so Node reads .js files there as CommonJS. Set "type": "module" in ${packageJson}, ` +
    "or rename agent.js to agent.mjs and update agents.Writer.\n");
  assert.doesNotMatch(stderr, /Warning|MODULE_TYPELESS_PACKAGE_JSON|To load an ES module/);
});

test("a syntax error: exit 2 with the file, line and column", async () => {
  const file = join(MISTAKES, "syntax-error.js");
  const stderr = await run(file);
  assert.equal(stderr, `flow.yaml: agents.Writer: agent Writer could not be loaded from ${file}: syntax error at ${file}:9:37: Unexpected token ';'.\n`);
});
