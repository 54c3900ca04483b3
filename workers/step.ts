// The worker entry Piscina runs: load the agent once per thread, run it on the rendered intent,
// return its output. Agent errors come back as values (never thrown), so that a failing agent
// keeps its own error name, code and stack, and the thread stays alive for the next step.
import { threadId } from "node:worker_threads";
import { toErrorInfo } from "../src/error-serial.js";
import type { LoadOutcome, LoadTask, StepOutcome, StepTask, WorkerTask } from "../src/pool/protocol.js";
import { describeValue, locateNotShareable, type NotShareable } from "../src/pool/shareable.js";
import { loadAgent } from "./agent-cache.js";
import { StepContext } from "./agent-context.js";
import { sendingOutcome } from "./unsent-outcome.js";

export default function run(task: WorkerTask): Promise<StepOutcome | LoadOutcome> {
  return sendingOutcome<StepOutcome | LoadOutcome>(task.kind === "load" ? preload(task) : runStep(task));
}

async function runStep(task: StepTask): Promise<StepOutcome> {
  const cell = task.slot * 2;
  Atomics.store(task.clock, cell + 1, threadId + 1);
  let agent;
  try {
    agent = await loadAgent(task.agent);
  } catch (error) {
    const now = Date.now();
    return { ok: false, reason: "load", error: toErrorInfo(error), threadId, startedAt: now, endedAt: now };
  }
  // The step's clock (and its timeout) starts once the agent is loaded: importing a module on a
  // fresh thread (after a crash or a timeout replaced it) is not the step's work.
  const startedAt = Date.now();
  Atomics.store(task.clock, cell, startedAt - task.epoch + 1);
  const ctx = new StepContext(task, startedAt);
  try {
    const output = await agent.execute(task.intent, ctx);
    if (ctx.hasPendingCalls) await ctx.settle();
    const endedAt = Date.now();
    if (ctx.paused) return pausedOutcome(startedAt, endedAt);
    const bad = notCloneable(output);
    if (bad !== undefined) {
      const error = { name: "DataCloneError", message: bad.reason ?? describeValue(bad.value) };
      return { ok: false, reason: "not-cloneable", error, path: bad.path, threadId, startedAt, endedAt };
    }
    return { ok: true, output, threadId, startedAt, endedAt };
  } catch (error) {
    await ctx.settle();
    if (ctx.paused) return pausedOutcome(startedAt, Date.now());
    return { ok: false, reason: "agent", error: toErrorInfo(error), threadId, startedAt, endedAt: Date.now() };
  } finally {
    ctx.dispose();
  }
}

// Whatever the agent did after its approval request was turned into a pause (caught the signal,
// returned something), the step is paused: it runs again, answered, on resume.
function pausedOutcome(startedAt: number, endedAt: number): StepOutcome {
  const error = { name: "StepPausedSignal", message: "paused for approval" };
  return { ok: false, reason: "paused", error, threadId, startedAt, endedAt };
}

async function preload(task: LoadTask): Promise<LoadOutcome> {
  const failures: LoadOutcome["failures"] = [];
  await Promise.all(task.agents.map((spec) => loadAgent(spec).catch((error: unknown) => {
    failures.push({ name: spec.name, error: toErrorInfo(error) });
  })));
  return { failures };
}

/** Where the output cannot cross; a walk that itself fails (too deep for the stack) blames the whole output. */
function notCloneable(output: unknown): NotShareable | undefined {
  try {
    return locateNotShareable(output, "$", { classInstances: true });
  } catch (error) {
    return { path: "$", value: output, reason: `checking it failed (${toErrorInfo(error).message})` };
  }
}
