// The bundled example as `npm start` runs it: examples/article.yaml through the CLI, the strategy's
// goal read as the task, and a word on where the timeline and trace went.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { cli, tempDir } from "./cli-process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const tmp = tempDir();

test("npm start: the example reads well without --task and says where it wrote the timeline and trace", async () => {
  const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  assert.match(pkg.scripts.start!, /main\.js run examples\/article\.yaml --timeline out\/timeline\.svg --trace out\/trace\.json$/);
  const timeline = join(tmp(), "timeline.svg");
  const trace = join(tmp(), "trace.json");
  const { code, stdout, stderr } = await cli(["run", "examples/article.yaml", "--timeline", timeline, "--trace", trace], ROOT);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^# Rust's Versatility: /, "the goal, read as the task, names the article's subject");
  assert.ok(stderr.endsWith(`timeline written to ${timeline}\ntrace written to ${trace}\n`), stderr);
});
