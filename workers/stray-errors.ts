// Errors that escape an agent (a timer that throws, a rejection nobody handles) are blamed on the
// step or module that left them, never on the next, innocent step of the thread. Each step and each
// import runs in its own AsyncLocalStorage frame; timers and promises it creates carry the frame,
// so the process-level handlers below know whose error it is:
// - the step is still running: it ends as crashed (its owner is blamed, as a dying thread would);
// - it has ended, or it is a module's: reported to the main thread as a stray error;
// - an uncaught exception leaves the thread unsafe (Node's own advice): it takes no further step.
import { AsyncLocalStorage } from "node:async_hooks";
import type { AgentErrorInfo } from "../src/errors.js";
import type { CallTag, StrayError } from "../src/pool/protocol.js";
import { hostApi } from "./host-link.js";

/** Who owns the code that runs: a step attempt or the import of an agent module. */
export interface Frame {
  agent: string;
  /** The step attempt's call tag; undefined for an import. */
  tag: CallTag | undefined;
  ended: boolean;
  /** Ends the frame's work with this error while it is still running. */
  fail(kind: StrayError["kind"], error: unknown): void;
}

const frames = new AsyncLocalStorage<Frame>();
let unsafe = false;
let toInfo: (error: unknown) => AgentErrorInfo = (error) => ({ name: "Error", message: String(error) });

/** True once an uncaught exception went through this thread: it must be replaced. */
export function threadIsUnsafe(): boolean {
  return unsafe;
}

/** Marks this thread as one that must take no further step (something of it hangs for good). */
export function markThreadUnsafe(): void {
  unsafe = true;
}

/** Runs `fn` in `frame`: whatever it schedules is blamed on the frame. */
export function runInFrame<T>(frame: Frame, fn: () => T): T {
  return frames.run(frame, fn);
}

/** Installs the process handlers of this thread (once). */
export function installStrayHandlers(serialise: (error: unknown) => AgentErrorInfo): void {
  toInfo = serialise;
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", (reason) => blame("unhandledRejection", reason));
}

function onUncaught(error: unknown): void {
  if (frames.getStore() === undefined) {
    // No step and no module owns it: it comes from the machinery itself (Piscina failing to post an
    // outcome). The thread dies with it, as Node would have it, so that the pool rejects the task it
    // was running with this very error instead of waiting for an answer that never comes.
    process.off("uncaughtException", onUncaught);
    queueMicrotask(() => {
      throw error;
    });
    return;
  }
  blame("uncaughtException", error);
}

function blame(kind: StrayError["kind"], error: unknown): void {
  if (kind === "uncaughtException") unsafe = true;
  const frame = frames.getStore();
  if (frame !== undefined && !frame.ended) {
    // The step is still running and ends as crashed; whatever else it started may go on running,
    // so its thread is not trusted with another step either.
    unsafe = true;
    frame.fail(kind, error);
    return;
  }
  const report: StrayError = { kind, error: toInfo(error), agent: frame?.agent ?? "", recycled: unsafe };
  // The channel may be gone with the run: a report that cannot be sent is dropped, never thrown.
  const sent = Promise.resolve(hostApi().stray(frame?.tag, report)).catch(() => undefined);
  reports.add(sent);
  void sent.finally(() => reports.delete(sent));
}

const reports = new Set<Promise<unknown>>();

/**
 * Resolves once every stray report made so far has reached the main thread. A step awaits it before
 * it returns, so a report lands while the run of the step that left the error still listens.
 */
export function strayReportsSent(): Promise<unknown> | undefined {
  return reports.size === 0 ? undefined : Promise.allSettled([...reports]);
}
