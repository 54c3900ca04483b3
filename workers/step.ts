// The worker entry Piscina runs: load the agent once per thread, run it on the rendered intent,
// return its output. Agent errors come back as values (never thrown), so that a failing agent
// keeps its own error name, code and stack, and the thread stays alive for the next step.
import { threadId } from "node:worker_threads";
import { toErrorInfo } from "../src/error-serial.js";
import { isLoadTask, type AgentSpec, type LoadOutcome, type LoadTask, type Primitive, type RunConstants, type StepOutcome, type StepResult, type StepTask, type WorkerTask } from "../src/pool/protocol.js";
import { abortRequested, enterPhase, markDone, markFinished, Phase } from "../src/pool/step-clock.js";
import { isEncoded } from "../src/pool/wire-value.js";
import { preciseNow } from "../src/pool/precise-time.js";
import type { Agent } from "../src/agent.js";
import { cachedAgent, loadAgent } from "./agent-cache.js";
import { StepContext } from "./agent-context.js";
import { outputWire } from "./output-wire.js";
import { agentOf, runConstants, timesOf } from "./run-cache.js";
import { installStrayHandlers, markThreadUnsafe, runInFrame, strayReportsSent, threadIsUnsafe, type Frame } from "./stray-errors.js";

installStrayHandlers(toErrorInfo);

type Result = StepResult | LoadOutcome;

/** The task this thread is busy with, while it has not finished (a thread runs one at a time). */
let busy: Promise<Result> | undefined;

// Tiny steps may wait on a thread (src/pool/pool-balancer.ts): Piscina hands this entry a task while
// an earlier one still awaits; it starts once every earlier task has ended, in order.
export default function run(task: WorkerTask): Result | Promise<Result> {
  const result = busy === undefined ? runTask(task) : busy.then(() => runTask(task), () => runTask(task));
  if (result instanceof Promise) {
    busy = result;
    const done = (): void => {
      if (busy === result) busy = undefined;
    };
    result.then(done, done);
  }
  return result;
}

function runTask(task: WorkerTask): Result | Promise<Result> {
  if (isLoadTask(task)) return preload(task);
  // The run's constants are at hand for every step but a thread's first of the run.
  const known = runConstants(task.callId);
  return known instanceof Promise ? known.then((r) => step(task, r)) : step(task, known);
}

function step(task: StepTask, run: RunConstants | undefined): StepResult | Promise<StepResult> {
  if (run === undefined) return stopped("its run has ended");
  if (threadIsUnsafe()) refuse(task, run);
  const outcome = runStep(task, run);
  const answer = (result: StepResult): StepResult => {
    // The step is over: if the thread dies before its answer reaches the main thread (a step that
    // waited behind it kills it), the main thread knows the step did not die with it.
    if (typeof result === "object" && result !== null) markFinished(run.clock, task.slot);
    return result;
  };
  return outcome instanceof Promise ? outcome.then(answer) : answer(outcome);
}

// A thread that went through an uncaught exception takes no further step (loading agents is still
// safe: the import is only wasted): it marks the task as refused (the main thread sends it again, not
// counting an attempt) and exits, so that the pool hands it nothing more; the pool replaces it. (A
// step that ended just before, stacked here, may lose its answer: it is sent again too, see
// src/run/attempt.ts.)
function refuse(task: StepTask, run: RunConstants): never {
  enterPhase(run.clock, task.slot, Phase.recycled, threadId, run.epoch);
  process.exit(0);
}

/** The step's outcome: at once for an agent that returns without awaiting anything, else a promise. */
function runStep(task: StepTask, run: RunConstants): StepResult | Promise<StepResult> {
  // Stopped while it waited in the pool's queue (its run was cancelled): nothing to run.
  if (abortRequested(run.clock, task.slot)) return stopped("the step was stopped before it started");
  const spec = agentOf(run, task.slot);
  const agent = cachedAgent(spec);
  return agent === undefined ? loadThenRun(task, run, spec) : startStep(task, run, spec, agent);
}

// A fresh thread (after a crash or a timeout replaced one) imports the agent under the step's
// clock: the watchdog bounds the import by the load timeout and the step's own timeout.
async function loadThenRun(task: StepTask, run: RunConstants, spec: AgentSpec): Promise<StepResult> {
  enterPhase(run.clock, task.slot, Phase.loading, threadId, run.epoch);
  let agent: Agent;
  try {
    agent = await importWithin(spec, run.loadTimeoutMs);
  } catch (error) {
    const now = preciseNow();
    return { ok: false, reason: "load", error: toErrorInfo(error), threadId, startedAt: now, endedAt: now };
  }
  // The step timed out while this thread imported its agent: the import was worth finishing (the
  // thread is warm for the next step), the step is not worth starting.
  if (abortRequested(run.clock, task.slot)) return stopped("the step timed out while its agent loaded");
  return startStep(task, run, spec, agent);
}

function startStep(task: StepTask, run: RunConstants, spec: AgentSpec, agent: Agent): StepResult | Promise<StepResult> {
  enterPhase(run.clock, task.slot, Phase.running, threadId, run.epoch);
  const startedAt = preciseNow();
  const ctx = new StepContext(task, run, spec.options, startedAt);
  const frame: Frame = { agent: spec.name, tag: [task.callId, task.slot, task.attempt], ended: false, fail: () => undefined };
  let returned: unknown;
  try {
    returned = runInFrame(frame, () => agent.execute(task.intent, ctx));
  } catch (error) {
    returned = Promise.reject(error);
  }
  // An agent that returned without awaiting, with no call back in flight: done, no promise made.
  if (!isThenable(returned) && !ctx.hasPendingCalls) return endStep(frame, ctx, outcomeOf(returned, ctx, startedAt, preciseNow(), run, task.slot));
  return awaitStep(frame, ctx, returned, startedAt, run, task.slot);
}

async function awaitStep(frame: Frame, ctx: StepContext, returned: unknown, startedAt: number, run: RunConstants, slot: number): Promise<StepResult> {
  let outcome!: StepResult;
  try {
    // Ends with the agent, or earlier if an error escapes it while it runs (a timer that throws).
    outcome = await new Promise<StepResult>((resolve) => {
      frame.fail = (kind, error) => resolve({
        ok: false, reason: "crashed", escaped: kind, error: toErrorInfo(error), threadId, startedAt, endedAt: preciseNow(),
      });
      runInFrame(frame, () => settle(returned, ctx, startedAt, run, slot)).then(resolve, (bug: unknown) => resolve({
        ok: false, reason: "agent", error: toErrorInfo(bug), threadId, startedAt, endedAt: preciseNow(),
      }));
    });
  } finally {
    await endStep(frame, ctx, undefined);
  }
  return outcome;
}

/** Closes the step's frame and context; answers once stray reports made so far reached the main thread. */
function endStep<T>(frame: Frame, ctx: StepContext, outcome: T): T | Promise<T> {
  frame.ended = true;
  ctx.dispose();
  const reports = strayReportsSent();
  return reports === undefined ? outcome : reports.then(() => outcome);
}

async function settle(returned: unknown, ctx: StepContext, startedAt: number, run: RunConstants, slot: number): Promise<StepResult> {
  try {
    const output = await returned;
    if (ctx.hasPendingCalls) await ctx.settle();
    return outcomeOf(output, ctx, startedAt, preciseNow(), run, slot);
  } catch (error) {
    await ctx.settle();
    if (ctx.paused) return pausedOutcome(startedAt, preciseNow());
    return { ok: false, reason: "agent", error: toErrorInfo(error), threadId, startedAt, endedAt: preciseNow() };
  }
}

/** What the agent's output makes of the step. */
function outcomeOf(output: unknown, ctx: StepContext, startedAt: number, endedAt: number, run: RunConstants, slot: number): StepResult {
  if (ctx.paused) return pausedOutcome(startedAt, endedAt);
  // Serialised once, here: a big output into shared memory, which crosses for the cost of a handle.
  const wire = outputWire(output);
  if (!wire.ok) return { ok: false, reason: "not-cloneable", error: wire.error, path: wire.path, threadId, startedAt, endedAt };
  if (isEncoded(wire.output)) return { ok: true, output: wire.output, threadId, startedAt, endedAt };
  // A primitive crosses as it is, as the task's whole result (the clock says so and has the times).
  markDone(run.clock, timesOf(run), slot, startedAt, endedAt);
  return wire.output as Primitive;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") && typeof (value as { then?: unknown }).then === "function";
}

// A step without a timeout has no watchdog on the main thread (it would cost every step a timer);
// the thread bounds an import that never settles itself. An import that never ends stays pending
// in this thread's module loader, so the thread takes no further step.
function importWithin(spec: AgentSpec, loadTimeoutMs: number): Promise<Agent> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      markThreadUnsafe();
      reject(new Error(`agent ${spec.name} did not finish loading from ${spec.module} within ${loadTimeoutMs} ms (a top-level await that never settles); fix the module, or raise the limit with withAgentLoadTimeout(ms)`));
    }, loadTimeoutMs);
  });
  return Promise.race([loadAgent(spec), late]).finally(() => clearTimeout(timer));
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
    if (task.loading) Atomics.store(task.loading, 0, i + 1);
    try {
      await loadAgent(spec);
    } catch (error) {
      failures.push({ name: spec.name, error: toErrorInfo(error) });
    }
  }
  if (task.loading) Atomics.store(task.loading, 0, 0);
  return { failures };
}
