// The worker entry Piscina runs: load the agent once per thread, run it on the rendered intent,
// return its output. Agent errors come back as values (never thrown), so that a failing agent
// keeps its own error name, code and stack, and the thread stays alive for the next step.
import { threadId } from "node:worker_threads";
import { toErrorInfo } from "../src/error-serial.js";
import type { LoadOutcome, LoadTask, StepOutcome, StepTask, WorkerTask } from "../src/pool/protocol.js";
import { abortRequested, enterPhase, Phase } from "../src/pool/step-clock.js";
import { preciseNow } from "../src/pool/precise-time.js";
import type { Agent } from "../src/agent.js";
import { cachedAgent, loadAgent } from "./agent-cache.js";
import { StepContext } from "./agent-context.js";
import { outputWire } from "./output-wire.js";
import { installStrayHandlers, markThreadUnsafe, runInFrame, strayReportsSent, threadIsUnsafe, type Frame } from "./stray-errors.js";

installStrayHandlers(toErrorInfo);

export default function run(task: WorkerTask): Promise<StepOutcome | LoadOutcome> {
  if (task.kind === "load") return preload(task);
  if (threadIsUnsafe()) refuse(task);
  return runStep(task);
}

// A thread that went through an uncaught exception takes no further step (loading agents is still
// safe: the import is only wasted): it marks the task as
// refused (the main thread sends it again, not counting an attempt) and exits; the pool replaces it.
function refuse(task: StepTask): never {
  enterPhase(task.clock, task.slot, Phase.recycled, threadId, task.epoch);
  process.exit(0);
}

async function runStep(task: StepTask): Promise<StepOutcome> {
  const { clock, slot, epoch } = task;
  // Stopped while it waited in the pool's queue (its run was cancelled): nothing to run.
  if (abortRequested(clock, slot)) return stopped("the step was stopped before it started");
  let agent = cachedAgent(task.agent);
  if (agent === undefined) {
    // A fresh thread (after a crash or a timeout replaced one) imports the agent under the step's
    // clock: the watchdog bounds the import by the load timeout and the step's own timeout.
    enterPhase(clock, slot, Phase.loading, threadId, epoch);
    try {
      agent = await importWithin(task);
    } catch (error) {
      const now = preciseNow();
      return { ok: false, reason: "load", error: toErrorInfo(error), threadId, startedAt: now, endedAt: now };
    }
    // The step timed out while this thread imported its agent: the import was worth finishing (the
    // thread is warm for the next step), the step is not worth starting.
    if (abortRequested(clock, slot)) return stopped("the step timed out while its agent loaded");
  }
  enterPhase(clock, slot, Phase.running, threadId, epoch);
  const startedAt = preciseNow();
  const ctx = new StepContext(task, startedAt);
  const frame: Frame = { agent: task.agent.name, tag: [task.callId, slot, task.attempt], ended: false, fail: () => undefined };
  try {
    // Ends with the agent, or earlier if an error escapes it while it runs (a timer that throws).
    return await new Promise<StepOutcome>((resolve) => {
      frame.fail = (kind, error) => resolve({
        ok: false, reason: "crashed", escaped: kind, error: toErrorInfo(error), threadId, startedAt, endedAt: preciseNow(),
      });
      runInFrame(frame, () => execute(task, ctx, agent, startedAt)).then(resolve, (bug: unknown) => resolve({
        ok: false, reason: "agent", error: toErrorInfo(bug), threadId, startedAt, endedAt: preciseNow(),
      }));
    });
  } finally {
    frame.ended = true;
    ctx.dispose();
    const reports = strayReportsSent();
    if (reports !== undefined) await reports;
  }
}

async function execute(task: StepTask, ctx: StepContext, agent: NonNullable<ReturnType<typeof cachedAgent>>, startedAt: number): Promise<StepOutcome> {
  try {
    const output = await agent.execute(task.intent, ctx);
    if (ctx.hasPendingCalls) await ctx.settle();
    const endedAt = preciseNow();
    if (ctx.paused) return pausedOutcome(startedAt, endedAt);
    // Serialised once, here: a big output into shared memory, which crosses for the cost of a handle.
    const wire = outputWire(output);
    if (!wire.ok) return { ok: false, reason: "not-cloneable", error: wire.error, path: wire.path, threadId, startedAt, endedAt };
    return { ok: true, output: wire.output, threadId, startedAt, endedAt };
  } catch (error) {
    await ctx.settle();
    if (ctx.paused) return pausedOutcome(startedAt, preciseNow());
    return { ok: false, reason: "agent", error: toErrorInfo(error), threadId, startedAt, endedAt: preciseNow() };
  }
}

// A step without a timeout has no watchdog on the main thread (it would cost every step a timer);
// the thread bounds an import that never settles itself. An import that never ends stays pending
// in this thread's module loader, so the thread takes no further step.
function importWithin(task: StepTask): Promise<Agent> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      markThreadUnsafe();
      reject(new Error(`agent ${task.agent.name} did not finish loading from ${task.agent.module} within ${task.loadTimeoutMs} ms (a top-level await that never settles); fix the module, or raise the limit with withAgentLoadTimeout(ms)`));
    }, task.loadTimeoutMs);
  });
  return Promise.race([loadAgent(task.agent), late]).finally(() => clearTimeout(timer));
}

// The main thread stopped the attempt (its abort cell) before the agent started.
function stopped(message: string): StepOutcome {
  const now = preciseNow();
  return { ok: false, reason: "stopped", error: { name: "AbortError", message }, threadId, startedAt: now, endedAt: now };
}

// Whatever the agent did after its approval request was turned into a pause (caught the signal,
// returned something), the step is paused: it runs again, answered, on resume.
function pausedOutcome(startedAt: number, endedAt: number): StepOutcome {
  const error = { name: "StepPausedSignal", message: "paused for approval" };
  return { ok: false, reason: "paused", error, threadId, startedAt, endedAt };
}

// One agent at a time, its index in `loading`: if the thread dies importing it (process.exit, out
// of memory), the main thread still knows which agent did it.
async function preload(task: LoadTask): Promise<LoadOutcome> {
  const failures: LoadOutcome["failures"] = [];
  for (let i = 0; i < task.agents.length; i++) {
    const spec = task.agents[i]!;
    Atomics.store(task.loading, 0, i + 1);
    try {
      await loadAgent(spec);
    } catch (error) {
      failures.push({ name: spec.name, error: toErrorInfo(error) });
    }
  }
  Atomics.store(task.loading, 0, 0);
  return { failures };
}
