// Imports each agent module once per thread and keeps it: later steps of the same agent pay nothing.
import { isAgent, type Agent } from "../src/agent.js";
import type { AgentSpec } from "../src/pool/protocol.js";

const cache = new Map<string, Promise<Agent>>();

/** The agent `spec` names, imported on first use in this thread. Rejects with a message saying what to fix. */
export function loadAgent(spec: AgentSpec): Promise<Agent> {
  const key = `${spec.module}#${spec.export}`;
  let agent = cache.get(key);
  if (agent === undefined) {
    agent = importAgent(spec);
    cache.set(key, agent);
    // A failed import is not cached: the file may be fixed before the next run.
    agent.catch(() => cache.delete(key));
  }
  return agent;
}

async function importAgent(spec: AgentSpec): Promise<Agent> {
  const mod = (await import(spec.module)) as Record<string, unknown>;
  const value = mod[spec.export];
  if (!isAgent(value)) {
    const what = value === undefined ? `has no export "${spec.export}"` : `exports "${spec.export}" that is not an agent`;
    throw new TypeError(
      `agent ${spec.name}: module ${spec.module} ${what}; make it \`export default defineAgent({ name, execute })\``,
    );
  }
  return value;
}
