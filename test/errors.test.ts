// Every error class from a table: name, code, base class, message shape, and instanceof across copies.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as wavepool from "wavepool";
import {
  AgentLoadError, AgentNotShareableError, AgentPathError, ApprovalRejectedError, CycleError, DuplicateStepError, InvalidApprovalError,
  OrchestratorClosedError, OutputNotCloneableError, RunCancelledError, StateFileError, StateMismatchError, StepFailedError,
  BackendUnavailableError, StepTimeoutError, StrategyValidationError, UnknownAgentError, UnknownInputError, WavepoolError, WorkerCrashedError,
} from "wavepool";

const table = [
  { make: () => new StrategyValidationError("bad", { path: "steps[3].intent" }), Class: StrategyValidationError, code: "WAVEPOOL_STRATEGY_INVALID", message: /^steps\[3\]\.intent: bad$/ },
  { make: () => new CycleError(["a", "b", "a"]), Class: CycleError, code: "WAVEPOOL_CYCLE", message: /a -> b -> a/, parent: StrategyValidationError },
  { make: () => new DuplicateStepError("dup"), Class: DuplicateStepError, code: "WAVEPOOL_DUPLICATE_STEP", message: /dup/, parent: StrategyValidationError },
  { make: () => new UnknownAgentError("who"), Class: UnknownAgentError, code: "WAVEPOOL_UNKNOWN_AGENT", message: /who/, parent: StrategyValidationError },
  { make: () => new UnknownInputError("what", { variable: "x" }), Class: UnknownInputError, code: "WAVEPOOL_UNKNOWN_INPUT", message: /what/, parent: StrategyValidationError },
  { make: () => new AgentNotShareableError("fn"), Class: AgentNotShareableError, code: "WAVEPOOL_AGENT_NOT_SHAREABLE", message: /fn/ },
  { make: () => new AgentPathError("agent W: module path \"./w.js\" is relative", { module: "./w.js" }), Class: AgentPathError, code: "WAVEPOOL_AGENT_PATH", message: /"\.\/w\.js" is relative/ },
  { make: () => new AgentLoadError("load"), Class: AgentLoadError, code: "WAVEPOOL_AGENT_LOAD", message: /load/ },
  { make: () => new StepTimeoutError("slow", { timeoutMs: 5 }), Class: StepTimeoutError, code: "WAVEPOOL_STEP_TIMEOUT", message: /slow/ },
  { make: () => new StepFailedError("boom", { agentError: { name: "TypeError", message: "x" } }), Class: StepFailedError, code: "WAVEPOOL_STEP_FAILED", message: /boom/ },
  { make: () => new OutputNotCloneableError("fn out", { path: "$.a" }), Class: OutputNotCloneableError, code: "WAVEPOOL_OUTPUT_NOT_CLONEABLE", message: /fn out/ },
  { make: () => new WorkerCrashedError("died"), Class: WorkerCrashedError, code: "WAVEPOOL_WORKER_CRASHED", message: /died/ },
  { make: () => new RunCancelledError("stop"), Class: RunCancelledError, code: "WAVEPOOL_RUN_CANCELLED", message: /stop/ },
  { make: () => new StateMismatchError("other"), Class: StateMismatchError, code: "WAVEPOOL_STATE_MISMATCH", message: /other/ },
  { make: () => new StateFileError("the state could not be saved to /x/run.state", { path: "/x/run.state" }), Class: StateFileError, code: "WAVEPOOL_STATE_FILE", message: /\/x\/run\.state/ },
  { make: () => new ApprovalRejectedError("no"), Class: ApprovalRejectedError, code: "WAVEPOOL_APPROVAL_REJECTED", message: /no/ },
  { make: () => new InvalidApprovalError("approve what"), Class: InvalidApprovalError, code: "WAVEPOOL_INVALID_APPROVAL", message: /approve what/ },
  { make: () => new OrchestratorClosedError("closed"), Class: OrchestratorClosedError, code: "WAVEPOOL_ORCHESTRATOR_CLOSED", message: /closed/ },
  { make: () => new BackendUnavailableError("Redis at redis://127.0.0.1:1 cannot be reached", { url: "redis://127.0.0.1:1" }), Class: BackendUnavailableError, code: "WAVEPOOL_BACKEND_UNAVAILABLE", message: /redis:\/\/127\.0\.0\.1:1/ },
];

for (const { make, Class, code, message, parent } of table) {
  test(`${Class.name}: name, code, message, base classes`, () => {
    const error = make();
    assert.ok(error instanceof Error);
    assert.ok(error instanceof WavepoolError);
    assert.ok(error instanceof Class);
    if (parent) assert.ok(error instanceof parent);
    assert.equal(error.name, Class.name);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    assert.match(String(error.stack), new RegExp(`^${Class.name}`));
  });
}

test("every exported error class is in the table", () => {
  const exported = Object.entries(wavepool)
    .filter(([, value]) => typeof value === "function" && value.prototype instanceof Error)
    .map(([name]) => name)
    .sort();
  assert.deepEqual(exported, ["WavepoolError", ...table.map((t) => t.Class.name)].sort());
});

test("codes are unique", () => {
  const codes = table.map((t) => t.make().code);
  assert.equal(new Set(codes).size, codes.length);
});

test("instanceof holds for an error branded by another copy of the package", () => {
  // What a second copy of errors.js produces: a plain Error carrying the same Symbol.for brand.
  const foreign = Object.assign(new Error("x"), { code: "WAVEPOOL_CYCLE" });
  Object.defineProperty(foreign, Symbol.for("wavepool.error.chain"), { value: ["CycleError", "StrategyValidationError", "WavepoolError"] });
  assert.ok(foreign instanceof CycleError);
  assert.ok(foreign instanceof StrategyValidationError);
  assert.ok(foreign instanceof WavepoolError);
  assert.ok(!(foreign instanceof UnknownInputError));
  assert.ok(!(new Error("plain") instanceof WavepoolError));
});

test("the cause is kept", () => {
  const cause = new Error("root");
  assert.equal(new WorkerCrashedError("died", { cause }).cause, cause);
});
