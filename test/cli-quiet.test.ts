// `wavepool run --quiet`: no progress at all (no live display, no line per event, no table of
// steps), while errors, the summary and the outputs still print.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { cli, fixture, tempDir, writeIn, yaml } from "./cli-process.js";

const tmp = tempDir();

test("--quiet: a successful run prints only log entries at the level and its summary on stderr, its output on stdout", async () => {
  const path = await writeIn(tmp(), "ok.yaml", yaml({ Chatty: fixture("chatty"), Echo: fixture("echo") }, [
    `{ id: talk, description: T, agent: Chatty, intent: "x", output: talk_out }`,
    `{ id: echo, description: E, agent: Echo, intent: "{{ talk_out }}", output: echoed }`,
  ]));
  const { code, stdout, stderr } = await cli(["run", path, "--quiet", "--timeline", join(tmp(), "ok.svg")], tmp());
  assert.equal(code, 0, stderr);
  assert.equal(JSON.parse(stdout).intent, "chatted");
  assert.match(stderr, /^warn {2}talk: almost there\n✔ 2\/2 steps completed in \d+\.\d\ds\n$/, "the agent's warning (--log-level) and the summary");
});

test("-q: a failed run still names the failure, with no progress lines before it", async () => {
  const path = await writeIn(tmp(), "fail.yaml", yaml({ Chatty: fixture("chatty"), Fail: fixture("fail") }, [
    `{ id: talk, description: T, agent: Chatty, intent: "x", output: talk_out }`,
    `{ id: bad, description: B, agent: Fail, intent: "x", output: bad_out }`,
  ]));
  const { code, stdout, stderr } = await cli(["run", path, "-q"], tmp());
  assert.equal(code, 1, stderr);
  assert.equal(stdout, "chatted\n", "the output of the branch that completed");
  assert.doesNotMatch(stderr, /step:|run:start|^step +agent/m);
  assert.match(stderr, /^✖ the run failed after .*\n {2}bad \(Fail\) failed: QuotaError: no quota left for: x$/m);
});
