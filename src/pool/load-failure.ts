// The error of a thread that died importing an agent module (process.exit or out of memory at the
// module's top level): the module is at fault, in preflight or on a fresh thread alike.
import { AgentLoadError } from "../errors.js";

/** `AgentLoadError` naming the agent, its module, the step if any, and how the thread died. */
export function threadDiedLoading(agent: string, module: string, reason: unknown, stepId?: string): AgentLoadError {
  const code = (reason as { code?: unknown })?.code;
  const how = `${(reason as Error)?.message ?? String(reason)}${typeof code === "string" ? `, ${code}` : ""}`;
  return new AgentLoadError(
    `agent ${agent}: loading ${module}${stepId === undefined ? "" : ` for step ${stepId}`} killed its worker thread (${how}). A module must not call process.exit or exhaust memory at its top level`,
    { agent, cause: reason, ...(stepId === undefined ? {} : { stepId }) },
  );
}
