// A distributed run's attempts ran in worker processes whose thread ids repeat (every worker has a
// thread 1): the timeline and the trace keep one track per thread of each worker, never merging them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { toChromeTrace, type TraceCompleteEvent, type TraceMetadataEvent } from "../src/report/chrome-trace.js";
import { layoutRows } from "../src/report/timeline-layout.js";
import { renderTimeline } from "../src/report/timeline-svg.js";
import type { ParallelOrchestrationResult } from "../src/run/result.js";
import { fakeResult } from "./fixtures/fake-result.js";

const WORKERS = ["host-b:200", "host-a:100"];

/** The fake run, its attempts spread over two workers by step (both with threads 1 and 2). */
function remoteRun(): ParallelOrchestrationResult {
  const { result } = fakeResult(16, [1, 2]);
  result.steps.forEach((record, i) => {
    const worker = WORKERS[i % 2]!;
    record.worker = worker;
    for (const attempt of record.history) attempt.worker = worker;
  });
  return result;
}

test("the timeline has a row per thread of each worker, labelled with the worker, workers in name order", () => {
  const result = remoteRun();
  const { rows, bars } = layoutRows(result);
  assert.deepEqual(rows.map((r) => [r.track.worker, r.track.threadId]), [
    ["host-a:100", 1], ["host-a:100", 2], ["host-b:200", 1], ["host-b:200", 2],
  ]);
  for (const row of rows) for (const bar of row.bars) assert.equal(bar.attempt.worker, row.track.worker);
  assert.equal(bars.length, result.steps.reduce((n, s) => n + s.history.length, 0));
  const svg = renderTimeline(result);
  for (const label of ["host-a:100 · thread 1", "host-a:100 · thread 2", "host-b:200 · thread 1", "host-b:200 · thread 2"]) {
    assert.ok(svg.includes(`>${label}</text>`), `row label ${label}`);
  }
});

test("a local run's rows are still its threads alone", () => {
  const { result } = fakeResult(16, [1, 2]);
  assert.deepEqual(layoutRows(result).rows.map((r) => [r.track.worker, r.track.threadId]), [[undefined, 1], [undefined, 2]]);
  assert.ok(renderTimeline(result).includes(">thread 1</text>"));
});

test("the trace puts each worker in a process of its own, named after it, with its threads", () => {
  const result = remoteRun();
  const trace = toChromeTrace(result);
  const slices = trace.traceEvents.filter((e): e is TraceCompleteEvent => e.ph === "X");
  const meta = trace.traceEvents.filter((e): e is TraceMetadataEvent => e.ph === "M");
  const processes = meta.filter((e) => e.name === "process_name").map((e) => [e.pid, (e.args as { name: string }).name]);
  assert.deepEqual(processes.slice(1), [[2, "worker host-a:100"], [3, "worker host-b:200"]]);
  const pidOf = new Map([["host-a:100", 2], ["host-b:200", 3]]);
  for (const slice of slices) {
    const record = result.steps.find((s) => s.stepId === slice.args.stepId)!;
    assert.equal(slice.pid, pidOf.get(record.worker!));
  }
  const named = meta.filter((e) => e.name === "thread_name").map((e) => `${e.pid}/${e.tid}`).sort();
  assert.deepEqual(named, ["2/1", "2/2", "3/1", "3/2"]);
  // Every slice sits on a named track.
  for (const slice of slices) assert.ok(named.includes(`${slice.pid}/${slice.tid}`));
});
