// The bundled examples as `npm start` runs them: a launcher (dist/examples/start.js) that picks
// examples/article.yaml, or examples/research.yaml with --dynamic, and runs it through the CLI in its
// own process, the strategy's goal read as the task, with a word on where the timeline and trace went.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { EXAMPLES, startArgs } from "../examples/start-args.js";
import { script, tempDir } from "./cli-process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const START = fileURLToPath(new URL("../examples/start.js", import.meta.url));
const tmp = tempDir();

test("npm start builds, then runs the launcher", async () => {
  const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.start, "npm run build && node dist/examples/start.js");
});

test("the launcher: the article example by default, the dynamic one with --dynamic, other arguments after ours", () => {
  assert.deepEqual(startArgs([], {}), ["run", "examples/article.yaml", "--timeline", "out/timeline.svg", "--trace", "out/trace.json"]);
  const dynamic = ["run", "examples/research.yaml", "--timeline", "out/research-timeline.svg", "--trace", "out/research-trace.json"];
  assert.deepEqual(startArgs(["--dynamic"], {}), dynamic);
  assert.deepEqual(startArgs(["--json", "--dynamic", "--task", "x"], {}), [...dynamic, "--json", "--task", "x"]);
  assert.deepEqual(startArgs([], { npm_config_dynamic: "true" }), dynamic, "npm start --dynamic, without --");
  assert.deepEqual(startArgs(["--json"], {}).slice(0, 2), ["run", EXAMPLES.article.file]);
});

test("npm start: the example reads well without --task and says where it wrote the timeline and trace", async () => {
  const timeline = join(tmp(), "timeline.svg");
  const trace = join(tmp(), "trace.json");
  // A later --timeline and --trace win over the launcher's out/ paths.
  const { code, stdout, stderr } = await script(START, ["--timeline", timeline, "--trace", trace], ROOT);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^# Rust's Versatility: /, "the goal, read as the task, names the article's subject");
  assert.ok(stderr.endsWith(`timeline written to ${timeline}\ntrace written to ${trace}\n`), stderr);
});

test("npm start -- --dynamic runs examples/research.yaml with the arguments given", async () => {
  const timeline = join(tmp(), "research-timeline.svg");
  const trace = join(tmp(), "research-trace.json");
  // A task the corpus does not cover ends the run after its planner: the file is told by its steps.
  const { code, stdout, stderr } = await script(START,
    ["--dynamic", "--task", "Bake sourdough bread.", "--timeline", timeline, "--trace", trace, "--json"], ROOT);
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout) as { steps: { stepId: string }[]; terminationReason?: string };
  assert.deepEqual(result.steps.map((s) => s.stepId), ["plan", "research", "write", "review", "revise", "polish", "publish"]);
  assert.equal(result.terminationReason, 'no bundled document is relevant to "Bake sourdough bread."');
  assert.ok(stderr.endsWith(`timeline written to ${timeline}\ntrace written to ${trace}\n`), stderr);
});
