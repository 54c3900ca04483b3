// Terminal and log safety of the CLI: text from agents and files (progress, log and error messages,
// agent names, the goal) reaches the terminal with its control characters escaped, and one event is
// one line. Real run events from a hostile fixture agent, and the CLI as a child process.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { test } from "node:test";
import { ParallelOrchestrator, StrategyMap, StrategyStep, StrategyValidationError, type RunEvent } from "wavepool";
import { cursor, palette } from "../src/cli/ansi.js";
import { describeFailure, FileError } from "../src/cli/cli-errors.js";
import { cliLogger } from "../src/cli/cli-logger.js";
import { renderGraph } from "../src/cli/graph-text.js";
import { renderPlan } from "../src/cli/plan-command.js";
import { describeEvent, LineProgress } from "../src/cli/progress-lines.js";
import { LiveProgress } from "../src/cli/progress-live.js";
import { ProgressModel } from "../src/cli/progress-model.js";
import { stepTable, summarize } from "../src/cli/run-output.js";
import { safeText } from "../src/cli/safe-text.js";
import { cli, fixture, tempDir, writeIn } from "./cli-process.js";
import { agent } from "./helpers.js";

// Any C0 control but the line feed that ends a line, DEL, any C1 control.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const plain = palette(false);
const EVIL_AGENT = "Evil\x1b]0;pwned\x07Agent";
const EVIL_GOAL = "goal\x1b[2J\r\nsecond line";

function hostileStrategy(): StrategyMap {
  return new StrategyMap(EVIL_GOAL)
    .addStep(new StrategyStep("talk", "d", EVIL_AGENT, "talk", "talk_out"))
    .addStep(new StrategyStep("boom", "d", "Hostile", "throw", "boom_out"));
}

/** Runs the hostile strategy on real threads; `logger` receives the agents' log entries. */
async function hostileRun(logger?: ReturnType<typeof cliLogger>): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  const o = new ParallelOrchestrator(hostileStrategy(), { threads: 2, ...(logger ? { logger } : {}) })
    .addAgent(EVIL_AGENT, agent("hostile")).addAgent("Hostile", agent("hostile"));
  try {
    await o.execute("t", { onEvent: (e) => events.push(e) });
  } finally {
    await o.close();
  }
  return events;
}

function recorder(): { stream: NodeJS.WriteStream; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { writes.push(String(chunk)); done(); } }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { columns: 200, rows: 40, isTTY: true });
  return { stream, writes };
}

test("safeText escapes every C0 and C1 control, DEL and bidi overrides, and keeps other text", () => {
  assert.equal(safeText("a\x1b[2Jb\x07c\rd\ne\tf"), "a\\x1b[2Jb\\x07c\\rd\\ne\\tf");
  assert.equal(safeText("\x00\x7f\x85\x9b\u2028\u202e"), "\\x00\\x7f\\x85\\x9b\\u2028\\u202e");
  for (let code = 0; code < 0xa0; code++) {
    if (code >= 0x20 && code < 0x7f) continue;
    assert.doesNotMatch(safeText(String.fromCharCode(code)), ANY_CONTROL, `U+${code.toString(16)}`);
  }
  assert.equal(safeText("résumé-🚀 \\x1b"), "résumé-🚀 \\x1b");
  assert.equal(safeText(safeText("\x1b")), "\\x1b", "escaping twice changes nothing more");
});

test("line display: every real event of a hostile agent is one line without control characters", async () => {
  const lines = (await hostileRun()).map((e) => describeEvent(e, plain));
  for (const line of lines) assert.doesNotMatch(line, ANY_CONTROL, JSON.stringify(line));
  assert.ok(lines.includes(`step:progress talk (Evil\\x1b]0;pwned\\x07Agent) 50% progress \\x1b[2J\\x07\\rfake\\nline\\x9b31m`), lines.join("\n"));
  assert.ok(lines.some((l) => l.endsWith(`: Hostile\\x1b[31mError: error \\x1b[2J\\x07\\rfake\\nline\\x9b31m`)), lines.join("\n"));

  const { stream, writes } = recorder();
  const display = new LineProgress(stream, plain);
  for (const event of await hostileRun()) display.onEvent(event);
  assert.equal(writes.join("").split("\n").length - 1, writes.length, "one line per event");
});

test("live display and log lines: only our own cursor and colour escapes reach the terminal", async () => {
  const { stream, writes } = recorder();
  const colours = palette(true);
  const display = new LiveProgress(stream, new ProgressModel(hostileStrategy()), colours);
  const events = await hostileRun(cliLogger("info", display, colours));
  for (const event of events) display.onEvent(event);
  display.stop();
  // What the display itself writes: cursor hide/show, clear line/down, up n lines, SGR colours.
  assert.deepEqual([cursor.hide, cursor.show, cursor.clearLine, cursor.clearDown, cursor.up(3)], ["\x1b[?25l", "\x1b[?25h", "\x1b[2K", "\x1b[J", "\x1b[3F"]);
  // eslint-disable-next-line no-control-regex
  const ours = /\x1b\[\?25[lh]|\x1b\[2K|\x1b\[J|\x1b\[\d+F|\x1b\[[\d;]*m/g;
  const text = writes.join("");
  const shown = text.replace(ours, "");
  assert.doesNotMatch(shown, CONTROL);
  assert.match(text, /goal\\x1b\[2J\\r\\nsecond line/, "the goal, escaped, in the header");
  assert.match(shown, /^warn {2}talk: log \\x1b\[2J\\x07\\rfake\\nline\\x9b31m \{"detail":"\\u001b\[2J\\u0007\\rfake\\nline\\x9b31m"\}$/m, "the agent's log line, escaped, on one line");
  assert.ok(!text.includes("\x1b[2J") && !text.includes("\x07"));
});

test("step table, summary, plan and graph escape agent names, errors and the goal", async () => {
  const end = (await hostileRun()).at(-1)!;
  assert.equal(end.type, "run:end");
  const result = end.type === "run:end" ? end.result : undefined!;
  const table = stepTable(result);
  const summary = summarize(result, plain, { file: "f.json", stateFile: undefined });
  assert.match(table, /Evil\\x1b\]0;pwned\\x07Agent/);
  assert.match(summary, /boom \(Hostile\) failed: Hostile\\x1b\[31mError: error \\x1b\[2J/);
  const strategy = hostileStrategy();
  for (const text of [table, summary, renderPlan(strategy, 2), renderGraph(strategy, "mermaid"), renderGraph(strategy, "dot")]) {
    assert.doesNotMatch(text, CONTROL, text);
  }
  assert.match(renderGraph(strategy, "dot"), /label="goal\\\\x1b\[2J\\nsecond line";/, "DOT keeps the goal's line break as its own \\n");
});

test("error lines: what a file or an agent put in a message is escaped, one line each", () => {
  const cases: unknown[] = [
    new StrategyValidationError("expected a string, got \x1b[2J\x9b", { path: "steps[0].agent" }),
    new FileError("evil\x1b[2J.yaml", "line 1, column 1", "invalid YAML: \x07bell\nnext"),
    Object.assign(new Error("EACCES: permission denied, open '/tmp/\x1b]0;x\x07'"), { code: "EACCES" }),
    new RangeError("bug \x1b[2J\nsecond"),
  ];
  for (const error of cases) {
    const { message } = describeFailure(error, "flow\x1b.yaml");
    assert.doesNotMatch(message, CONTROL, message);
    if (!(error instanceof RangeError)) assert.equal(message.split("\n").length, 1, message);
  }
});

const tmp = tempDir();

test("wavepool run, plan and graph as a child process: no control character reaches stderr or stdout", async () => {
  const path = await writeIn(tmp(), "hostile.json", JSON.stringify({
    goal: EVIL_GOAL,
    agents: { [EVIL_AGENT]: fixture("hostile"), Hostile: fixture("hostile") },
    steps: [
      { id: "talk", agent: EVIL_AGENT, intent: "talk", output: "talk_out" },
      { id: "boom", agent: "Hostile", intent: "throw", output: "boom_out" },
    ],
  }));
  const run = await cli(["run", path, "--log-level", "info"], tmp());
  assert.equal(run.code, 1, run.stderr);
  assert.doesNotMatch(run.stderr, CONTROL, run.stderr);
  const progress = run.stderr.split("\n").filter((l) => l.includes("step:progress talk"));
  assert.equal(progress.length, 1, run.stderr);
  assert.match(progress[0]!, /^\[\s*\d+\.\d\ds\] step:progress talk \(Evil\\x1b\]0;pwned\\x07Agent\) 50% progress \\x1b\[2J\\x07\\rfake\\nline\\x9b31m$/);
  assert.ok(!run.stderr.split("\n").some((l) => l.startsWith("line") || l.startsWith("second line")), "no event or log split over lines");
  for (const args of [["plan", path], ["graph", path], ["graph", path, "--format", "dot"]]) {
    const { code, stdout, stderr } = await cli(args, tmp());
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stdout, CONTROL, stdout);
  }
  const missing = await writeIn(tmp(), "missing.json", JSON.stringify({
    goal: "g", agents: { A: "./nowhere\u001b[2J\u009b.js" }, steps: [{ id: "a", agent: "A", intent: "x", output: "o" }],
  }));
  const bad = await cli(["run", missing], tmp());
  assert.equal(bad.code, 2, bad.stderr);
  assert.doesNotMatch(bad.stderr, CONTROL, bad.stderr);
  assert.equal(bad.stderr.trimEnd().split("\n").length, 1, bad.stderr);
});
