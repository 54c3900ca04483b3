// The progress display of `wavepool run`, without a terminal: frames from a model fed real run
// events, the in-place redraw of the live display on a recording stream, and the plain lines.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ParallelOrchestrator, type RunEvent } from "wavepool";
import { palette, truncate, visibleLength } from "../src/cli/ansi.js";
import { bar, renderFrame } from "../src/cli/progress-frame.js";
import { formatDuration } from "../src/report/duration.js";
import { describeEvent } from "../src/cli/progress-lines.js";
import { LiveProgress } from "../src/cli/progress-live.js";
import { ProgressModel } from "../src/cli/progress-model.js";
import { agent, strategyOf } from "./helpers.js";

const plain = palette(false);
const strategy = strategyOf(["research", "Chatty", "x"], ["bad", "Fail", "x"], ["write", "Echo", "{{ research_out }} {{ bad_out }}"]);

async function realEvents(): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  const o = new ParallelOrchestrator(strategy, { threads: 2 })
    .addAgent("Chatty", agent("chatty")).addAgent("Fail", agent("fail")).addAgent("Echo", agent("echo"));
  try {
    await o.execute("t", { onEvent: (e) => events.push(e) });
  } finally {
    await o.close();
  }
  return events;
}

test("a frame shows every step's state, the agent's error, and an overall bar with counts", async () => {
  const model = new ProgressModel(strategy);
  for (const event of await realEvents()) model.apply(event);
  const lines = renderFrame(model, Date.now(), { columns: 100, rows: 40, colours: plain, tick: 0 });
  assert.match(lines[0]!, /^wavepool {2}test {2}· 3 steps in 2 waves$/);
  assert.match(lines[1]!, /^ ✔ research {2}Chatty {2}completed\s+\d+\.\d\ds$/);
  assert.match(lines[2]!, /^ ✖ bad +Fail +failed +\d+\.\d\ds {2}QuotaError: no quota left for: x$/);
  assert.match(lines[3]!, /^ ↷ write +Echo +skipped$/);
  assert.match(lines[4]!, /^ █{24} 3\/3 {2}✔ 1 {2}✖ 1 {2}↷ 1 {2}\d+\.\d\ds$/);
  assert.ok(lines.every((line) => !line.includes("\x1b[")), "no escapes with colours off");
});

test("a running step shows its elapsed time, progress bar, percentage and message", () => {
  const model = new ProgressModel(strategy);
  model.apply({ type: "run:start", runId: "r", time: 1000, steps: 3, waves: [["research", "bad"], ["write"]] });
  model.apply({ type: "step:start", runId: "r", time: 1000, stepId: "research", agent: "Chatty", wave: 0, attempt: 2 });
  model.apply({ type: "step:progress", runId: "r", time: 1100, stepId: "research", agent: "Chatty", wave: 0, attempt: 2, threadId: 3, progress: 0.45, message: "tokenizing" });
  const [, row, queued] = renderFrame(model, 2500, { columns: 100, rows: 40, colours: plain, tick: 0 });
  assert.equal(row, ` ⠋ research  Chatty  running    1.50s  try 2 ${bar(0.45, 10)}  45% tokenizing`);
  assert.equal(queued, " · bad       Fail    queued");
});

test("lines never exceed the terminal width; more steps than rows are summarised", () => {
  const many = strategyOf(...Array.from({ length: 30 }, (_, i) => [`step_${i}`, "Agent", "x"] as [string, string, string]));
  const model = new ProgressModel(many);
  model.apply({ type: "step:start", runId: "r", time: 0, stepId: "step_29", agent: "Agent", wave: 0, attempt: 1 });
  model.apply({ type: "step:progress", runId: "r", time: 0, stepId: "step_29", agent: "Agent", wave: 0, attempt: 1, threadId: 1, progress: 0.5, message: "a very long message ".repeat(10) });
  const lines = renderFrame(model, 10, { columns: 40, rows: 10, colours: palette(true), tick: 3 });
  assert.equal(lines.length, 9, "header, 6 steps, a summary line and the footer fit in 10 rows");
  assert.ok(lines.every((line) => visibleLength(line) <= 39), lines.join("\n"));
  assert.ok(lines.some((line) => line.includes("step_29")), "the running step is kept");
  assert.match(lines[7]!, /… 24 more: 24 queued/);
});

test("on a narrow terminal long step ids are cut in the middle, so rows that share a prefix stay apart", () => {
  const long = strategyOf(
    ["research-the-benefits-of-rust-topic-a", "ResearchAgent", "x", "a"], ["research-the-benefits-of-rust-topic-b", "ResearchAgent", "x", "b"],
  );
  const model = new ProgressModel(long);
  model.apply({ type: "run:start", runId: "r", time: 0, steps: 2, waves: [[...long.steps.map((s) => s.stepId)]] });
  model.apply({ type: "step:start", runId: "r", time: 0, stepId: "research-the-benefits-of-rust-topic-b", agent: "ResearchAgent", wave: 0, attempt: 1 });
  const lines = renderFrame(model, 1500, { columns: 40, rows: 24, colours: plain, tick: 0 });
  assert.equal(lines[1], " · research-…-topic-a  queued");
  assert.equal(lines[2], " ⠋ research-…-topic-b  running    1.50s");
  assert.ok(lines.every((line) => visibleLength(line) <= 39), lines.join("\n"));
  const wide = renderFrame(model, 1500, { columns: 100, rows: 24, colours: plain, tick: 0 });
  assert.equal(wide[1], " · research-the…ust-topic-a  ResearchAgent  queued", "wide enough: the agent shows, the id keeps 24 columns");
});

test("a cancelled run's bar stops at the steps that finished: cancelled steps are work not done", () => {
  const four = strategyOf(["a", "Echo", "x"], ["b", "Echo", "x"], ["c", "Echo", "x"], ["d", "Echo", "x"]);
  const model = new ProgressModel(four);
  model.apply({ type: "run:start", runId: "r", time: 0, steps: 4, waves: [["a", "b", "c", "d"]] });
  model.apply({ type: "step:start", runId: "r", time: 0, stepId: "a", agent: "Echo", wave: 0, attempt: 1 });
  model.apply({ type: "step:end", runId: "r", time: 10, stepId: "a", agent: "Echo", wave: 0, attempt: 1, status: "completed", threadId: 1, durationMs: 10 });
  for (const stepId of ["b", "c", "d"]) {
    model.apply({ type: "step:end", runId: "r", time: 20, stepId, agent: "Echo", wave: 0, attempt: 1, status: "cancelled", threadId: -1, durationMs: 0 });
  }
  const footer = renderFrame(model, 20, { columns: 100, rows: 24, colours: plain, tick: 0 }).at(-1)!;
  assert.ok(footer.startsWith(` ${bar(0.25, 24)} 1/4  ✔ 1  ⊘ 3`), footer);
});

test("the live display redraws in place: cursor up over the last frame, one write per frame, cursor restored", () => {
  const writes: string[] = [];
  const stream = { isTTY: true, columns: 80, rows: 24, write: (text: string) => writes.push(text) } as unknown as NodeJS.WriteStream;
  const live = new LiveProgress(stream, new ProgressModel(strategy), plain);
  live.onEvent({ type: "run:start", runId: "r", time: Date.now(), steps: 3, waves: [["research", "bad"], ["write"]] });
  live.onEvent({ type: "step:start", runId: "r", time: Date.now(), stepId: "research", agent: "Chatty", wave: 0, attempt: 1 });
  live.log("warn  something happened");
  live.onEvent({ type: "step:progress", runId: "r", time: Date.now(), stepId: "research", agent: "Chatty", wave: 0, attempt: 1, threadId: 1, progress: 0.5 });
  live.stop();
  assert.equal(writes[0], "\x1b[?25l", "the cursor is hidden while drawing");
  const frames = writes.filter((w) => w.includes("wavepool"));
  assert.ok(frames[0]!.startsWith("\x1b[2K"), "the first frame does not move up");
  assert.ok(writes.some((w) => w.startsWith("\x1b[5F\x1b[J") && w.includes("warn  something happened\n")), "a log line replaces the frame");
  assert.ok(writes.some((w) => w.startsWith("\x1b[5F\x1b[2K")), "later frames start 5 lines up");
  assert.equal(writes.at(-1), "\x1b[?25h", "the cursor comes back");
});

test("plain lines: one per event, errors told by the agent's own name and message", async () => {
  const lines = (await realEvents()).map((e) => describeEvent(e, plain));
  assert.ok(lines.includes("step:start research (Chatty) wave 0 attempt 1"));
  assert.ok(lines.includes("step:progress research (Chatty) 50% half way"));
  assert.ok(lines.some((l) => /^step:end bad \(Fail\) failed in \d+\.\d\ds on thread \d+: QuotaError: no quota left for: x$/.test(l)));
  assert.match(lines.at(-1)!, /^run:end failed 1 completed, 1 failed, 1 skipped in \d+\.\d\ds$/);
});

test("durations, bars and truncation", () => {
  assert.deepEqual([formatDuration(123), formatDuration(12_345), formatDuration(125_000)], ["0.12s", "12.3s", "2m05s"]);
  assert.equal(bar(0, 4), "░░░░");
  assert.equal(bar(1, 4), "████");
  assert.equal(bar(0.5, 4), "██░░");
  assert.equal(truncate("abcdef", 4), "abc…");
  assert.equal(truncate("\x1b[31mabcdef\x1b[39m", 4), "\x1b[31mabc…\x1b[0m");
  assert.equal(truncate("abc", 4), "abc");
});
