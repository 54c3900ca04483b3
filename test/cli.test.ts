// `wavepool run` as a user runs it: a child process, strategy files on disk, real agents; exit
// codes, what goes to stdout and stderr, the state, timeline and trace files it writes.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { readStateFile } from "../src/run/state-file.js";
import { cli as cliIn, finished, fixture, start, STRATEGIES, tempDir, writeIn, yaml, type Exit } from "./cli-process.js";
import { broken } from "./helpers.js";

const tmp = tempDir();
const cli = (args: string[], cwd?: string): Promise<Exit> => cliIn(args, cwd ?? tmp());
const file = (name: string, text: string): Promise<string> => writeIn(tmp(), name, text);

test("run: a YAML strategy succeeds with exit 0, the final output on stdout and a line per event on stderr", async () => {
  const path = await file("ok.yaml", yaml({ Echo: fixture("echo"), Sleep: fixture("sleep") }, [
    `{ id: a, description: A, agent: Sleep, intent: "sleep 20", output: a_out }`,
    `{ id: b, description: B, agent: Echo, intent: "{{ task }} from {{ a_out }}", output: article }`,
  ]));
  const { code, stdout, stderr } = await cli(["run", path, "--task", "Write it"]);
  assert.equal(code, 0, stderr);
  assert.equal(JSON.parse(stdout).intent, "Write it from sleep 20");
  assert.match(stderr, /^\[\s*\d+\.\d\ds\] run:start [0-9a-f-]{36} 2 steps in 2 waves$/m);
  assert.match(stderr, /^\[\s*\d+\.\d\ds\] step:start a \(Sleep\) wave 0 attempt 1$/m);
  assert.match(stderr, /^\[\s*\d+\.\d\ds\] step:end b \(Echo\) completed in \d+\.\d\ds on thread \d+$/m);
  assert.match(stderr, /✔ 2\/2 steps completed/);
  assert.ok(!stderr.includes("\x1b["), "no ANSI escapes without a terminal");
});

test("run --json: only the result on stdout, context as an object, --input values parsed as JSON or kept as text", async () => {
  const path = await file("inputs.json", JSON.stringify({
    goal: "inputs", agents: { Echo: fixture("echo") },
    steps: [{ id: "a", description: "A", agent: "Echo", intent: "{{ task }} {{ n | plus: 1 }} {{ who }} {{ tags[1] }}", output: "out" }],
  }));
  const { code, stdout, stderr } = await cli([
    "run", path, "--json", "--task", "t", "--input", "n=41", "--input", "who=Ferris the crab", "--input", 'tags=["x","y"]', "--concurrency", "1",
  ]);
  assert.equal(code, 0, stderr);
  const result = JSON.parse(stdout);
  assert.equal(result.success, true);
  assert.deepEqual(result.context.out.intent, "t 42 Ferris the crab y");
  assert.deepEqual({ task: result.context.task, n: result.context.n, tags: result.context.tags }, { task: "t", n: 41, tags: ["x", "y"] });
  assert.deepEqual(result.waves, [["a"]]);
  assert.equal(result.steps[0].status, "completed");
  assert.match(stderr, /run:end succeeded/);
});

test("run: agent paths are relative to the strategy file, wherever the command runs from", async () => {
  const { code, stdout, stderr } = await cli(["run", join(STRATEGIES, "relative.yaml"), "--task", "rust"], tmpdir());
  assert.equal(code, 0, stderr);
  assert.equal(stdout, "RESEARCH RUST!\n");
});

test("run: a failed step exits 1, names the agent's error, skips its dependents and keeps the other branch", async () => {
  const path = await file("fail.yaml", yaml({ Echo: fixture("echo"), Fail: fixture("fail") }, [
    `{ id: good, description: G, agent: Echo, intent: "fine", output: good_out }`,
    `{ id: bad, description: B, agent: Fail, intent: "x", output: bad_out }`,
    `{ id: after_bad, description: A, agent: Echo, intent: "{{ bad_out }}", output: after_out }`,
  ]));
  const { code, stdout, stderr } = await cli(["run", path, "--json"]);
  assert.equal(code, 1, stderr);
  const result = JSON.parse(stdout);
  assert.deepEqual(result.steps.map((s: { status: string }) => s.status), ["completed", "failed", "skipped"]);
  assert.equal(result.context.good_out.intent, "fine");
  assert.match(stderr, /step:end bad \(Fail\) failed in .*: QuotaError: no quota left for: x/);
  assert.match(stderr, /bad \(Fail\) failed: QuotaError: no quota left for: x/);
});

test("run --timeout: a busy step is stopped after the duration and the run exits 1", async () => {
  const path = await file("spin.yaml", yaml({ Spin: fixture("spin") }, [`{ id: hang, description: H, agent: Spin, intent: "forever", output: o }`]));
  const startedAt = Date.now();
  const { code, stderr } = await cli(["run", path, "--timeout", "0.2s"]);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /step:end hang \(Spin\) timed out/);
  assert.ok(Date.now() - startedAt < 10_000);
});

const BAD: [name: string, args: () => Promise<string[]>, message: RegExp][] = [
  ["YAML that does not parse", async () => ["run", await file("syntax.yaml", "goal: x\nsteps: [\n  - id: a\n")],
    /^.*syntax\.yaml: line 3, column 3: invalid YAML: .+$/],
  ["a field of the wrong type", async () => ["run", await file("field.yaml", yaml({ Echo: fixture("echo") }, ["{ id: a, description: 3, agent: Echo, intent: x, output: o }"]))],
    /field\.yaml: steps\[0\]\.description: expected a string, got number 3$/],
  ["an unknown agent", async () => ["run", await file("agent.yaml", yaml({ Echo: fixture("echo") }, ["{ id: a, description: A, agent: Writer, intent: x, output: o }"]))],
    /agent\.yaml: steps\[0\]\.agent: step a uses agent Writer, .*known: Echo/],
  ["an agent module that is not there", async () => ["run", await file("module.yaml", yaml({ Echo: "./nowhere.js" }, ["{ id: a, description: A, agent: Echo, intent: x, output: o }"]))],
    /module\.yaml: agents\.Echo: no such module "\.\/nowhere\.js"/],
  ["an agent module that throws on import", async () => ["run", await file("load.yaml", yaml({ Echo: fileURLToPath(broken("throws-on-import")) }, ["{ id: a, description: A, agent: Echo, intent: x, output: o }"]))],
    /load\.yaml: agents\.Echo: agent Echo could not be loaded/],
  ["a variable nobody provides", async () => ["run", await file("input.yaml", yaml({ Echo: fixture("echo") }, ["{ id: a, description: A, agent: Echo, intent: '{{ topic }}', output: o }"]))],
    /input\.yaml: steps\[0\]\.intent: .*\{\{ topic \}\}.*--input topic=VALUE/],
  ["a cycle", async () => ["run", await file("cycle.yaml", yaml({ Echo: fixture("echo") }, [
    "{ id: a, description: A, agent: Echo, intent: '{{ b_out }}', output: a_out }", "{ id: b, description: B, agent: Echo, intent: '{{ a_out }}', output: b_out }",
  ]))], /cycle\.yaml: the steps form a cycle: (a -> b -> a|b -> a -> b)/],
  ["a missing file", async () => ["run", join(tmp(), "missing.yaml")], /missing\.yaml: no such file$/],
  ["a file that is neither YAML nor JSON", async () => ["plan", await file("strategy.txt", "goal: x")], /strategy\.txt: a strategy file must end in \.yaml, \.yml or \.json$/],
  ["an unknown flag", async () => ["run", join(STRATEGIES, "relative.yaml"), "--bogus"], /^wavepool: unknown option --bogus$/],
  ["a mistyped flag", async () => ["run", join(STRATEGIES, "relative.yaml"), "--concurency", "2"], /^wavepool: unknown option --concurency; did you mean --concurrency\?$/],
  ["a mistyped flag of plan", async () => ["plan", join(STRATEGIES, "diamond.json"), "--thread=2"], /^wavepool: unknown option --thread; did you mean --threads\?$/],
  ["a bad duration", async () => ["run", join(STRATEGIES, "relative.yaml"), "--timeout", "soon"], /--timeout expects a duration such as 500ms, 30s or 2m, got "soon"/],
  ["a bad scheduling mode", async () => ["run", join(STRATEGIES, "relative.yaml"), "--scheduling", "lazy"], /--scheduling expects eager or waves, got "lazy"/],
  ["approvals without --resume", async () => ["run", join(STRATEGIES, "relative.yaml"), "--approve", "shout"], /--approve and --reject .* --resume FILE/],
  ["no strategy file", async () => ["plan"], /plan needs a strategy file/],
  ["an unknown command", async () => ["frobnicate"], /unknown command "frobnicate"; the commands are run, plan, graph and worker$/],
  ["a mistyped command", async () => ["rn"], /^wavepool: unknown command "rn"; did you mean run\?$/],
  ["an unknown graph format", async () => ["graph", join(STRATEGIES, "diamond.json"), "--format", "png"], /--format expects mermaid or dot, got "png"/],
];

for (const [name, args, message] of BAD) {
  test(`exit 2 with one clear line and no stack trace: ${name}`, async () => {
    const { code, stdout, stderr } = await cli(await args());
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.match(stderr.split("\n")[0]!, message);
    assert.doesNotMatch(stderr, /^\s+at /m, "no stack trace");
    assert.ok(stderr.trimEnd().split("\n").length <= 2, stderr);
  });
}

test("run: a step waiting for approval exits 3 with the approval printed; --resume with --approve finishes it", async () => {
  const path = await file("approve.yaml", yaml({ Echo: fixture("echo"), Approve: fixture("approve") }, [
    `{ id: draft, description: D, agent: Echo, intent: "draft", output: draft_out }`,
    `{ id: publish, description: P, agent: Approve, intent: "{{ draft_out.intent }}", output: decision }`,
  ]));
  const state = join(tmp(), "approve.state");
  const paused = await cli(["run", path, "--state", state]);
  assert.equal(paused.code, 3, paused.stderr);
  assert.match(paused.stderr, /publish \(Approve\): Publish draft\?/);
  assert.match(paused.stderr, /payload: \{"draft":"draft"\}/);
  assert.match(paused.stderr, /--resume .*approve\.state --approve publish/);
  const json = await cli(["run", path, "--json"]);
  assert.equal(json.code, 3);
  assert.deepEqual(JSON.parse(json.stdout).pendingApprovals, [{ stepId: "publish", agent: "Approve", message: "Publish draft?", payload: { draft: "draft" } }]);

  const resumed = await cli(["run", path, "--resume", state, "--approve", "publish=ship it"]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual(JSON.parse(resumed.stdout), { approved: true, note: "ship it" });
  assert.doesNotMatch(resumed.stderr, /step:start draft/, "the completed step is not run again");
});

test("Ctrl-C cancels the run: exit 130 within seconds, running steps stopped, the state file kept", async () => {
  const path = await file("sigint.yaml", yaml({ Echo: fixture("echo"), Spin: fixture("spin") }, [
    `{ id: quick, description: Q, agent: Echo, intent: "quick", output: quick_out }`,
    `{ id: hang, description: H, agent: Spin, intent: "forever", output: hung, dependsOn: [quick] }`,
    `{ id: after, description: A, agent: Echo, intent: "{{ hung }}", output: after_out }`,
  ]));
  const state = join(tmp(), "sigint.state");
  const child = start(["run", path, "--state", state], tmp());
  const exit = finished(child);
  await new Promise<void>((resolve) => {
    let seen = "";
    child.stderr!.on("data", (chunk: string) => {
      seen += chunk;
      if (/step:start hang /.test(seen)) resolve();
    });
  });
  const interruptedAt = Date.now();
  child.kill("SIGINT");
  const { code, stderr } = await exit;
  assert.equal(code, 130, stderr);
  assert.ok(Date.now() - interruptedAt < 5000, "exits promptly");
  assert.match(stderr, /cancelling/);
  assert.match(stderr, /^\[\s*\d+\.\d\ds\] step:end hang \(Spin\) cancelled in \d+\.\d\ds on thread \d+$/m, "a cancelled step is not told as an error");
  for (const internal of [/run cancelled:/, /RunCancelledError/, /signal was aborted/, /wavepool bug/, /internal error/]) {
    assert.doesNotMatch(stderr, internal, "Ctrl-C prints nothing that only makes sense inside wavepool");
  }
  const saved = await readStateFile(state);
  assert.deepEqual(saved.steps.map((s) => s.status), ["completed", "cancelled", "cancelled"]);
  assert.equal((saved.outputs.get("quick_out") as { intent: string }).intent, "quick", "finished outputs are kept");
});

test("run --timeline and --trace: an SVG with a bar per step attempt and a Chrome trace with a slice per attempt", async () => {
  const path = await file("files.yaml", yaml({ Echo: fixture("echo"), Fail: fixture("fail") }, [
    `{ id: one, description: One, agent: Echo, intent: "1", output: one_out }`,
    `{ id: two, description: Two, agent: Echo, intent: "2", output: two_out }`,
    `{ id: three, description: Three, agent: Echo, intent: "{{ one_out.intent }}{{ two_out.intent }}", output: three_out }`,
    `{ id: broken, description: B, agent: Fail, intent: "x", output: broken_out }`,
  ]));
  const svgPath = join(tmp(), "run.svg");
  const tracePath = join(tmp(), "run.json");
  const { code, stderr } = await cli(["run", path, "--timeline", svgPath, "--trace", tracePath]);
  assert.equal(code, 1, stderr);
  assert.ok(stderr.endsWith(`timeline written to ${svgPath}\ntrace written to ${tracePath}\n`), "says where the files went");
  const svg = await readFile(svgPath, "utf8");
  assert.match(svg, /^(<\?xml [^>]*\?>\n)?<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<\/svg>\n$/);
  const bars = [...svg.matchAll(/<g class="attempt"><title>([^\n<]+)/g)].map((m) => m[1]).sort();
  assert.deepEqual(bars, ["broken", "one", "three", "two"]);
  assert.match(svg, /<text class="title"[^>]*>CLI test<\/text>/, "the strategy's goal is the picture's title");
  const trace = JSON.parse(await readFile(tracePath, "utf8")) as { traceEvents: { ph: string; name: string; cat: string; args: { name?: string } }[] };
  assert.match(trace.traceEvents.find((e) => e.name === "process_name")?.args.name ?? "", /^CLI test · run [0-9a-f-]{36}$/);
  const slices = trace.traceEvents.filter((e) => e.ph === "X");
  assert.deepEqual(slices.map((e) => e.name).sort(), ["broken", "one", "three", "two"]);
  assert.equal(slices.find((e) => e.name === "broken")?.cat, "failed");
});

