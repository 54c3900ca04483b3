// The progress lines of `wavepool run` without a terminal (a pipe, a CI log): a line per event, but
// progress reports thinned to one per quarter of the way, so a chatty run's log stays readable.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RunEvent } from "wavepool";
import { palette } from "../src/cli/ansi.js";
import { LineProgress } from "../src/cli/progress-lines.js";
import { cli, fixture, tempDir, writeIn, yaml } from "./cli-process.js";

const tmp = tempDir();

function recorder(): { stream: NodeJS.WritableStream; lines: string[] } {
  const lines: string[] = [];
  return { stream: { write: (text: string) => lines.push(text.replace(/^\[\s*\d+\.\d\ds\] /, "").trimEnd()) } as unknown as NodeJS.WritableStream, lines };
}

const base = { runId: "r", agent: "Chatty", wave: 0 } as const;
const progress = (stepId: string, attempt: number, value: number): RunEvent =>
  ({ type: "step:progress", ...base, time: 0, stepId, attempt, threadId: 1, progress: value, message: `at ${value}` });
const end = (stepId: string, attempt: number, status: "completed" | "failed"): RunEvent =>
  ({ type: "step:end", ...base, time: 0, stepId, attempt, status, threadId: 1, durationMs: 5 });

test("a progress line when a step attempt enters a new quarter, and its last report, if held back, just before its end", () => {
  const { stream, lines } = recorder();
  const display = new LineProgress(stream, palette(false));
  for (const value of [0.1, 0.2, 0.3, 0.4, 0.45]) display.onEvent(progress("a", 1, value));
  display.onEvent(progress("b", 1, 0.2));
  display.onEvent(end("a", 1, "failed"));
  for (const value of [0.05, 0.1]) display.onEvent(progress("a", 2, value));
  for (const value of [0.5, 1]) display.onEvent(progress("b", 1, value));
  display.onEvent(end("b", 1, "completed"));
  display.onEvent(end("a", 2, "completed"));
  assert.deepEqual(lines, [
    "step:progress a (Chatty) 10% at 0.1",
    "step:progress a (Chatty) 30% at 0.3",
    "step:progress b (Chatty) 20% at 0.2",
    "step:progress a (Chatty) 45% at 0.45",
    "step:end a (Chatty) failed in 0.01s on thread 1",
    "step:progress a (Chatty) 5% at 0.05",
    "step:progress b (Chatty) 50% at 0.5",
    "step:progress b (Chatty) 100% at 1",
    "step:end b (Chatty) completed in 0.01s on thread 1",
    "step:progress a (Chatty) 10% at 0.1",
    "step:end a (Chatty) completed in 0.01s on thread 1",
  ]);
});

test("a 10-step run whose agents report progress 40 times each prints five progress lines a step, not 400", async () => {
  const steps = Array.from({ length: 10 }, (_, i) => `{ id: part_${i}, description: P, agent: Stepwise, intent: "40", output: out_${i} }`);
  const path = await writeIn(tmp(), "chatty.yaml", yaml({ Stepwise: fixture("stepwise") }, steps));
  const { code, stderr } = await cli(["run", path, "--concurrency", "4"], tmp());
  assert.equal(code, 0, stderr);
  for (let i = 0; i < 10; i++) {
    const shown = [...stderr.matchAll(new RegExp(`step:progress part_${i} \\(Stepwise\\) (\\d+)%`, "g"))].map((m) => Number(m[1]));
    assert.deepEqual(shown, [3, 25, 50, 75, 100], `part_${i}`);
  }
  const lines = stderr.trimEnd().split("\n");
  assert.ok(lines.length <= 100, `${lines.length} lines:\n${stderr}`);
});
