// What every step of a run shares on a worker thread (`RunConstants`), sent once per thread.
import type { AgentSpec, LogLevel, RunConstants } from "../pool/protocol.js";

export interface RunIdentity {
  callId: number;
  runId: string;
  clock: Int32Array;
  epoch: number;
  loadTimeoutMs: number;
  logLevel: LogLevel;
}

/**
 * The constants of the attempts on one clock of a run, whose slot `i` is `stepIds[i]` and runs
 * agent `agents[i]` (the run's steps, or a fan-out's items): each agent once, slots by index.
 */
export function runConstants(run: RunIdentity, stepIds: readonly string[], agents: readonly AgentSpec[]): RunConstants {
  const index = new Map<AgentSpec, number>();
  const agentOf = new Int32Array(agents.length);
  agents.forEach((spec, i) => {
    let k = index.get(spec);
    if (k === undefined) index.set(spec, (k = index.size));
    agentOf[i] = k;
  });
  return { ...run, agents: [...index.keys()], agentOf, stepIds: [...stepIds] };
}
