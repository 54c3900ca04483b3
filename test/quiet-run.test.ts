// Item 12 of issue 8, cheap when quiet: an agent's log lines below the logger's level never leave its
// thread, and a flood of progress reports is coalesced while one is in flight, the last value
// always arriving before the step ends.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Writable } from "node:stream";
import winston from "winston";
import { ParallelOrchestrator, ParallelOrchestratorConfig, type RunEvent } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

const N = 10_000;

/** A logger at `level` that counts every entry handed to it, before winston filters by level. */
function countingLogger(level: string): { logger: winston.Logger; handed: Map<string, number>; written: string[] } {
  const handed = new Map<string, number>();
  const written: string[] = [];
  // A format runs on every entry the logger is given, whatever its level: a line that reached it
  // crossed from the worker.
  const count = winston.format((info) => {
    handed.set(String(info.message), (handed.get(String(info.message)) ?? 0) + 1);
    return info;
  });
  const stream = new Writable({ objectMode: true, write(info: { message: unknown }, _enc, done) { written.push(String(info.message)); done(); } });
  return { logger: winston.createLogger({ level, format: count(), transports: [new winston.transports.Stream({ stream })] }), handed, written };
}

async function flood(level: string): Promise<{ handed: Map<string, number>; written: string[]; events: RunEvent[]; output: unknown }> {
  const { logger, handed, written } = countingLogger(level);
  const o = new ParallelOrchestrator(strategyOf(["flood", "Flood", String(N)]), new ParallelOrchestratorConfig().withThreads(1).withLogger(logger))
    .addAgent("Flood", agent("flood"));
  after(() => o.close());
  const events: RunEvent[] = [];
  const result = await o.execute("t", { onEvent: (e) => events.push(e) });
  assert.equal(result.success, true);
  return { handed, written, events, output: result.context.get("flood_out") };
}

test("at level warn, an agent's debug lines are dropped in its worker: none reaches the logger", async () => {
  const { handed, written } = await flood("warn");
  assert.equal(handed.get("noise"), undefined, `${handed.get("noise")} debug lines crossed threads`);
  assert.equal(handed.get("flood done"), 1, "lines at the level still arrive");
  assert.ok(written.includes("flood done"));
});

test("at level debug, every debug line still arrives", async () => {
  const { handed } = await flood("debug");
  assert.equal(handed.get("noise"), N);
});

test("a flood of progress reports is coalesced; the last one arrives before the step ends and every promise resolves", async () => {
  const { events, output } = await flood("warn");
  const progress = events.filter((e) => e.type === "step:progress");
  assert.ok(progress.length >= 1 && progress.length < 100, `${progress.length} progress events for ${N} reports`);
  const last = progress.at(-1)!;
  assert.deepEqual([last.progress, last.message], [1, `item ${N}`]);
  const end = events.findIndex((e) => e.type === "step:end");
  assert.ok(events.indexOf(last) < end, "the last report arrives before step:end");
  assert.equal(output, N, "every ctx.progress promise resolved");
});
