// What every step of a run shares on a worker thread (`RunConstants`), sent once per thread.
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { AgentSpec, LogLevel, RunConstants } from "../pool/protocol.js";

export interface RunIdentity {
  callId: number;
  runId: string;
  clock: Int32Array;
  epoch: number;
  loadTimeoutMs: number;
  logLevel: LogLevel;
}

/** The constants of a run of `graph` whose step `i` runs agent `agents[i]`: each agent once, steps by index. */
export function runConstants(run: RunIdentity, graph: DependencyGraph, agents: readonly AgentSpec[]): RunConstants {
  const index = new Map<AgentSpec, number>();
  const agentOf = new Int32Array(agents.length);
  agents.forEach((spec, i) => {
    let k = index.get(spec);
    if (k === undefined) index.set(spec, (k = index.size));
    agentOf[i] = k;
  });
  return { ...run, agents: [...index.keys()], agentOf, stepIds: graph.steps.map((step) => step.stepId) };
}
