// Builds the `ctx` an agent runs with: inputs, options, signal, and the calls back to the main thread.
// Calls back are tracked so the step's result is only sent once the main thread has seen them all.
import type { AgentContext, AgentLogger, ApprovalDecision } from "../src/agent.js";
import type { CallTag, LogLevel, StepTask } from "../src/pool/protocol.js";
import { hostApi } from "./host-link.js";

/** Thrown into the agent by `requestApproval` when the run pauses; the step ends `paused` whatever the agent does. */
export class StepPausedSignal extends Error {
  override name = "StepPausedSignal";
}

export interface StepContext {
  ctx: AgentContext;
  /** Set once `requestApproval` was answered with a pause. */
  paused(): boolean;
  /** Resolves once every log/progress call made so far has reached the main thread. */
  settle(): Promise<void>;
  /** Clears the timeout timer. */
  dispose(): void;
}

export function createContext(task: StepTask, startedAt: number): StepContext {
  const from: CallTag = [task.callId, task.slot, task.attempt];
  let paused = false;
  const pending = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>): void => {
    pending.add(p);
    p.then(() => pending.delete(p), () => pending.delete(p));
  };
  // The signal (and its timer) is made on first use: most agents never look at it, and an
  // AbortController per step is measurable on 2000 no-op steps.
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  const signal = (): AbortSignal => {
    if (controller === undefined) {
      const c = (controller = new AbortController());
      if (task.timeoutMs > 0) {
        const reason = new Error(`step ${task.stepId} timed out after ${task.timeoutMs} ms`);
        timer = setTimeout(() => c.abort(reason), Math.max(0, startedAt + task.timeoutMs - Date.now()));
        timer.unref();
      }
    }
    return controller.signal;
  };
  const send = (level: LogLevel) => (message: string, meta?: Record<string, unknown>) =>
    track(Promise.resolve(hostApi().log(from, level, String(message), meta)));
  const log: AgentLogger = { error: send("error"), warn: send("warn"), info: send("info"), debug: send("debug") };
  const ctx: AgentContext = {
    inputs: task.inputs,
    options: task.agent.options,
    get signal() {
      return signal();
    },
    stepId: task.stepId,
    runId: task.runId,
    attempt: task.attempt,
    log,
    progress(value: number, message?: string) {
      const call = Promise.resolve(hostApi().progress(from, value, message));
      track(call);
      return call.then(() => undefined);
    },
    async requestApproval(request): Promise<ApprovalDecision> {
      if (task.approval !== undefined) return task.approval;
      const answer = await hostApi().requestApproval(from, { message: String(request?.message ?? ""), payload: request?.payload });
      if ("pause" in answer) {
        paused = true;
        throw new StepPausedSignal(`step ${task.stepId} is paused until a person answers: ${request?.message ?? ""}`);
      }
      return answer;
    },
  };
  return {
    ctx,
    paused: () => paused,
    settle: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    dispose: () => clearTimeout(timer),
  };
}
