// The shape of a saved state: what the runtime relies on when it resumes, checked on every state
// written or read, and on a state object given to `resumeFrom`.
import { StateMismatchError } from "../errors.js";
import type { SavedRunState } from "./state-file.js";

/**
 * Throws `StateMismatchError` unless `value` has the shape of a state (as `readStateFile` returns it).
 * A state that went through JSON fails here: its Map of outputs became `{}`.
 */
export function checkState(value: unknown, source: string): asserts value is SavedRunState {
  checkShape(value, source, (message) => new StateMismatchError(
    `${message}; pass the state read with readStateFile as it is (JSON turns its Map of outputs into {}), or the path of the state file`,
  ));
}

/**
 * Checks what the rest of the runtime relies on, so a resumed run cannot trip over a malformed state;
 * `error` makes the error thrown. Fields are read as own properties only: nothing comes from a prototype.
 */
export function checkShape(value: unknown, source: string, error: (message: string) => Error): asserts value is SavedRunState {
  const fail = (path: string, expected: string): never => {
    throw error(`${source} is not a valid wavepool state: ${path} should be ${expected}`);
  };
  const record = (v: unknown, path: string): Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(path, "an object");
  const own = (o: Record<string, unknown>, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);
  const field = (o: Record<string, unknown>, key: string, type: string, path: string, optional = false): void => {
    const v = own(o, key);
    if (!(optional && v === undefined) && typeof v !== type) fail(`${path}.${key}`, `a ${type}`);
  };
  const list = (v: unknown, path: string): unknown[] => (Array.isArray(v) ? v : fail(path, "an array"));
  const s = record(value, "the state");
  if (own(s, "format") !== "wavepool-state") fail("format", `"wavepool-state"`);
  if (own(s, "version") !== 1) fail("version", "1");
  for (const key of ["fingerprint", "runId", "task"]) field(s, key, "string", "state");
  field(s, "savedAt", "number", "state");
  record(own(s, "inputs"), "inputs");
  const outputs = own(s, "outputs");
  if (!(outputs instanceof Map)) fail("outputs", "a Map");
  for (const key of (outputs as Map<unknown, unknown>).keys()) if (typeof key !== "string") fail("outputs keys", "strings");
  list(own(s, "steps"), "steps").forEach((step, i) => {
    const r = record(step, `steps[${i}]`);
    for (const key of ["stepId", "agent", "outputKey", "status"]) field(r, key, "string", `steps[${i}]`);
    for (const key of ["wave", "threadId", "durationMs", "attempts"]) field(r, key, "number", `steps[${i}]`);
    list(own(r, "history"), `steps[${i}].history`);
  });
  list(own(s, "pendingApprovals"), "pendingApprovals").forEach((pending, i) => {
    const r = record(pending, `pendingApprovals[${i}]`);
    for (const key of ["stepId", "agent", "message"]) field(r, key, "string", `pendingApprovals[${i}]`);
  });
  for (const [stepId, answer] of Object.entries(record(own(s, "approvals"), "approvals"))) {
    const r = record(answer, `approvals.${stepId}`);
    field(r, "approved", "boolean", `approvals.${stepId}`);
    field(r, "note", "string", `approvals.${stepId}`, true);
  }
}
