// Imports each agent module once per thread and keeps it: later steps of the same agent pay nothing.
// Every import runs in a frame of its own (./stray-errors.ts), so what a module's top level leaves
// behind (a timer that throws later) is blamed on that module, not on a step that happened to load it.
// Modules are kept by URL: a distributed worker names each version of a file by its hash in the URL
// (`?sha256=`, src/distributed/agent-check.ts), so a changed file is a new module here, not the old one.
import { isAgent, type Agent } from "../src/agent.js";
import type { AgentSpec } from "../src/pool/protocol.js";
import { runInFrame, type Frame } from "./stray-errors.js";

const pending = new Map<string, Promise<Agent>>();
const loaded = new Map<string, Agent>();
/** The same, by the spec object a run's constants hold: a step's lookup builds no key. */
const bySpec = new WeakMap<AgentSpec, Agent>();

const keyOf = (spec: AgentSpec): string => `${spec.module}#${spec.export}`;

/** The agent `spec` names if this thread has already imported it. */
export function cachedAgent(spec: AgentSpec): Agent | undefined {
  let agent = bySpec.get(spec);
  if (agent === undefined) {
    agent = loaded.get(keyOf(spec));
    if (agent !== undefined) bySpec.set(spec, agent);
  }
  return agent;
}

/** The agent `spec` names, imported on first use in this thread. Rejects with a message saying what to fix. */
export function loadAgent(spec: AgentSpec): Promise<Agent> {
  const key = keyOf(spec);
  let agent = pending.get(key);
  if (agent === undefined) {
    agent = importAgent(spec);
    pending.set(key, agent);
    agent.then(
      (value) => loaded.set(key, value),
      // A failed import is not cached: the file may be fixed before the next run.
      () => pending.delete(key),
    );
  }
  return agent;
}

function importAgent(spec: AgentSpec): Promise<Agent> {
  return new Promise<Agent>((resolve, reject) => {
    const frame: Frame = {
      agent: spec.name, tag: undefined, ended: false,
      // An error that escapes the module while it is still loading (a top-level timer, a rejection
      // nobody awaits) fails the load.
      fail: (_kind, error) => reject(error),
    };
    runInFrame(frame, () => import(spec.module)).then((mod: Record<string, unknown>) => {
      const value = mod[spec.export];
      if (!isAgent(value)) {
        const what = value === undefined ? `has no export "${spec.export}"` : `exports "${spec.export}" that is not an agent`;
        throw new TypeError(
          `agent ${spec.name}: module ${spec.module} ${what}; make it \`export default defineAgent({ execute })\``,
        );
      }
      return value;
    }).then(resolve, reject).finally(() => (frame.ended = true));
  });
}
