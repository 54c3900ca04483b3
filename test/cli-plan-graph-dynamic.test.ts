// `wavepool plan` and `wavepool graph` on a dynamic strategy file: a fan-out is one step
// `research[*]`, when/repeat/terminate are marked, and a bad dynamic field is a usage error at its path.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cli, tempDir, writeIn } from "./cli-process.js";

const tmp = tempDir();

const FLOW = [
  "goal: Research and write",
  "steps:",
  "  - { id: plan, agent: Planner, intent: \"Plan {{ task }}\", output: outline }",
  "  - { id: research, agent: Researcher, intent: \"{{ item }}\", output: notes, forEach: outline.topics, forEachConcurrency: 2 }",
  "  - { id: review, agent: Reviewer, intent: \"{{ notes }}\", output: review }",
  "  - { id: revise, agent: Writer, intent: \"{{ review }}\", output: revised, when: \"review.score < 0.8\" }",
  "  - { id: polish, agent: Writer, intent: \"{{ previous }} {{ revised }}\", output: final, repeat: { until: final.stable, maxIterations: 5 } }",
  "terminate:",
  "  - { when: \"review.score < 0.2\", reason: \"scored {{ review.score }}\" }",
  "",
].join("\n");

test("plan: a fan-out is one step research[*], when and repeat are marked, expressions and terminations listed", async () => {
  const path = await writeIn(tmp(), "flow.yaml", FLOW);
  const { code, stdout, stderr } = await cli(["plan", path, "--threads", "2"]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^5 steps in 5 waves$/m);
  assert.match(stdout, /^\s+1 {2}research\[\*\] \(Researcher\)$/m);
  assert.match(stdout, /^\s+3 {2}revise \(Writer, when\)$/m);
  assert.match(stdout, /^\s+4 {2}polish \(Writer, repeat\)$/m);
  assert.match(stdout, /^dynamic steps\n {2}research\[\*\] {2}for each of outline\.topics, at most 2 at once\n {2}revise {7}when review\.score < 0\.8\n {2}polish {7}repeat until final\.stable, at most 5 times$/m);
  assert.match(stdout, /^terminate\n {2}\[0\] {2}when review\.score < 0\.2 {2}reason "scored \{\{ review\.score \}\}"$/m);
  assert.match(stdout, /^critical path {2}plan -> research\[\*\] -> review -> revise -> polish {2}\(cost 5\)$/m);
  assert.match(stdout, /a fan-out of one item, when steps run, repeat steps once\)$/m);
  assert.match(stdout, /^\s+eager\s+5\s+5\s+1\.00x$/m);
});

test("plan of a static file says nothing of dynamic steps", async () => {
  const path = await writeIn(tmp(), "static.yaml", "goal: g\nsteps:\n  - { id: a, agent: A, intent: x, output: o }\n");
  const { code, stdout } = await cli(["plan", path]);
  assert.equal(code, 0);
  assert.doesNotMatch(stdout, /dynamic steps|terminate|fan-out/);
});

test("graph: Mermaid and DOT mark forEach, when, repeat, and draw each termination with edges from what it reads", async () => {
  const path = await writeIn(tmp(), "flow-graph.yaml", FLOW);
  const mermaid = await cli(["graph", path]);
  assert.equal(mermaid.code, 0, mermaid.stderr);
  const lines = mermaid.stdout.split("\n");
  assert.ok(lines.includes(`    s1["research[*]<br/>Researcher<br/>for each: outline.topics (2 at once)"]`), mermaid.stdout);
  assert.ok(lines.includes(`    s3["revise<br/>Writer<br/>when: review.score #lt; 0.8"]`));
  assert.ok(lines.includes(`    s4["polish<br/>Writer<br/>repeat until: final.stable (max 5)"]`));
  assert.ok(lines.includes(`  t0{{"terminate<br/>when: review.score #lt; 0.2<br/>reason: scored #123;#123; review.score #125;#125;"}}`), mermaid.stdout);
  assert.deepEqual(lines.filter((l) => l.includes("-.->")).map((l) => l.trim()), ["s2 -.-> t0"]);
  assert.deepEqual(lines.filter((l) => l.includes("-->")).map((l) => l.trim()), ["s0 --> s1", "s1 --> s2", "s2 --> s3", "s3 --> s4"]);

  const dot = await cli(["graph", path, "--format", "dot"]);
  assert.equal(dot.code, 0, dot.stderr);
  assert.match(dot.stdout, /^ {4}"research" \[label="research\[\*\]\\nResearcher\\nfor each: outline\.topics \(2 at once\)", shape=box3d\];$/m);
  assert.match(dot.stdout, /^ {4}"revise" \[label="revise\\nWriter\\nwhen: review\.score < 0\.8"\];$/m);
  assert.match(dot.stdout, /^ {4}"polish" \[label="polish\\nWriter\\nrepeat until: final\.stable \(max 5\)"\];$/m);
  assert.match(dot.stdout, /^ {2}"terminate\[0\]" \[label="terminate\\nwhen: review\.score < 0\.2\\nreason: scored \{\{ review\.score \}\}", shape=octagon\];$/m);
  assert.match(dot.stdout, /^ {2}"review" -> "terminate\[0\]" \[style=dashed\];$/m);
  assert.match(dot.stdout, /\}\n$/);
});

test("a bad dynamic field fails plan with exit 2 and its path in the file", async () => {
  const cases: [string, string, RegExp][] = [
    ["foreach.yaml", FLOW.replace("forEach: outline.topics,", "forEach: \"outline.topics |\","), /foreach\.yaml: steps\[1\]\.forEach: .*filter name is missing/],
    ["repeat.yaml", FLOW.replace("maxIterations: 5", "maxIterations: 0"), /repeat\.yaml: steps\[4\]\.repeat\.maxIterations: expected an integer from 1 and up, got 0/],
    ["terminate.yaml", FLOW.replace("{ when: \"review.score < 0.2\",", "{ whenn: \"review.score < 0.2\","), /terminate\.yaml: terminate\[0\]\.whenn: unknown field; did you mean "when"\?/],
    ["cycle.yaml", FLOW.replace("forEach: outline.topics", "forEach: notes.topics"), /cycle\.yaml: steps\[1\]\.forEach: the steps form a cycle: research -> research/],
  ];
  for (const [name, text, message] of cases) {
    const { code, stdout, stderr } = await cli(["plan", await writeIn(tmp(), name, text)]);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.match(stderr.split("\n")[0]!, message);
  }
});
