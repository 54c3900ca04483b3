// `wavepool plan`, `wavepool graph` and `--help`: text on stdout, from static strategy files.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { cli, STRATEGIES, tempDir, writeIn, yaml } from "./cli-process.js";

const tmp = tempDir();

test("plan: waves, critical path and cost, simulated makespan of both schedulers against the lower bound", async () => {
  const { code, stdout, stderr } = await cli(["plan", join(STRATEGIES, "diamond.json"), "--threads", "2"]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^A diamond with a tail\n4 steps in 3 waves\n/);
  assert.match(stdout, /^\s+0 {2}fetch-a \(Fetcher\) {2}fetch-b \(Fetcher\)$/m);
  assert.match(stdout, /^\s+1 {2}merge \(Merger\)$/m);
  assert.match(stdout, /^critical path {2}fetch-a -> merge -> publish {2}\(cost 6\)$/m);
  assert.match(stdout, /^simulated on 2 threads/m);
  assert.match(stdout, /^\s+eager\s+6\s+6\s+1\.00x$/m);
  assert.match(stdout, /^\s+waves\s+6\s+6\s+1\.00x$/m);
  const one = await cli(["plan", join(STRATEGIES, "diamond.json"), "--threads", "1"]);
  assert.match(one.stdout, /^\s+eager\s+7\s+7\s+1\.00x$/m, "on one thread the bound is the total work");
});

test("graph: Mermaid by default and Graphviz DOT, nodes labelled with step and agent, edges along dependencies", async () => {
  const mermaid = await cli(["graph", join(STRATEGIES, "diamond.json")]);
  assert.equal(mermaid.code, 0, mermaid.stderr);
  const lines = mermaid.stdout.split("\n");
  assert.equal(lines[0], "flowchart LR");
  assert.ok(lines.includes(`  subgraph wave0["wave 0"]`));
  assert.ok(lines.includes(`    s0["fetch-a<br/>Fetcher"]`));
  assert.deepEqual(lines.filter((l) => l.includes("-->")).map((l) => l.trim()).sort(), ["s0 --> s2", "s1 --> s2", "s2 --> s3"]);

  const dot = await cli(["graph", join(STRATEGIES, "diamond.json"), "--format", "dot"]);
  assert.equal(dot.code, 0, dot.stderr);
  assert.match(dot.stdout, /^digraph strategy \{\n/);
  assert.match(dot.stdout, /subgraph cluster_wave2 \{\n\s+label="wave 2";[^}]*"publish" \[label="publish\\nPublisher"\];/);
  assert.deepEqual(dot.stdout.split("\n").filter((l) => l.includes("->")).map((l) => l.trim()).sort(), [
    `"fetch-a" -> "merge";`, `"fetch-b" -> "merge";`, `"merge" -> "publish";`,
  ]);
  assert.match(dot.stdout, /\}\n$/);
});

test("--help for the command and each subcommand exits 0 with usage on stdout", async () => {
  for (const args of [["--help"], ["run", "--help"], ["plan", "-h"], ["graph", "--help"], ["help", "run"]]) {
    const { code, stdout } = await cli(args);
    assert.equal(code, 0, args.join(" "));
    assert.match(stdout, /^Usage: wavepool/, args.join(" "));
  }
  const run = await cli(["run", "--help"]);
  for (const flag of ["--task", "--input", "--concurrency", "--timeout", "--scheduling", "--state", "--resume", "--timeline", "--trace", "--json", "--log-level"]) {
    assert.ok(run.stdout.includes(flag), flag);
  }
  const none = await cli([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^Usage: wavepool <command>/);
});

test("plan and graph do not need the agent modules: a file whose agents are not built yet still plans and draws", async () => {
  const path = await writeIn(tmp(), "unbuilt.yaml", yaml({ Research: "./agents/research.js", Writer: "./agents/writer.js" }, [
    `{ id: research, description: R, agent: Research, intent: "x", output: notes }`,
    `{ id: write, description: W, agent: Writer, intent: "{{ notes }}", output: article }`,
  ]));
  const plan = await cli(["plan", path]);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /^critical path {2}research -> write/m);
  const graph = await cli(["graph", path]);
  assert.equal(graph.code, 0, graph.stderr);
  assert.match(graph.stdout, /s0 --> s1/);
  const run = await cli(["run", path]);
  assert.equal(run.code, 2, "run still needs them");
  assert.match(run.stderr, /agents\.Research: no such module/);
});
