// wavepool's public API. Nothing is defined here.
export { StrategyMap, type StrategyPlan } from "./strategy/strategy-map.js";
export { StrategyStep, type StrategyStepOptions } from "./strategy/strategy-step.js";
export type { DynamicStepOptions, RepeatOptions } from "./strategy/dynamic-options.js";
export type { TerminateOptions, StrategyTermination } from "./strategy/terminate-options.js";
export type { PlannedDynamicStep } from "./strategy/dynamic-plan.js";
export type { StrategyJSON, StrategyStepJSON } from "./strategy/strategy-json.js";
export { ParallelOrchestrator } from "./run/orchestrator.js";
export { ParallelOrchestratorConfig, type ParallelOrchestratorOptions, type RetryPolicy } from "./run/config.js";
export type { ExecuteOptions, ApprovalRequestEvent } from "./run/run.js";
export type { StepFailure } from "./run/run-setup.js";
export type { ParallelOrchestrationResult, StepRecord, AttemptRecord, StepStatus, PendingApproval, StateError, SkipReason, Redesign } from "./run/result.js";
export type * from "./run/events.js";
export { simulate, type SimulateOptions, type Simulation, type SimulatedStep } from "./schedule/simulate.js";
export type { ForEachCost, SimulatedCost } from "./schedule/simulate-costs.js";
export { defineAgent, isAgent } from "./agent.js";
export type { Agent, AgentContext, AgentDefinition, AgentLogger, ApprovalDecision, ApprovalRequest } from "./agent.js";
export type { AgentRef } from "./pool/agent-registry.js";
export type { Shareable } from "./pool/shareable.js";
export type { Scheduling } from "./schedule/scheduling.js";
export {
  WavepoolError, StrategyValidationError, CycleError, DuplicateStepError, UnknownAgentError, UnknownInputError,
  AgentNotShareableError, AgentPathError, AgentLoadError, StepTimeoutError, StepFailedError, OutputNotCloneableError,
  WorkerCrashedError, RunCancelledError, StateMismatchError, StateFileError, ApprovalRejectedError, InvalidApprovalError, OrchestratorClosedError,
  BackendUnavailableError,
  type ErrorInfo, type AgentErrorInfo,
} from "./errors.js";
export { readStateFile, type SavedRunState } from "./run/state-file.js";
export { renderTimeline, type TimelineOptions } from "./report/timeline-svg.js";
export { toChromeTrace, type ChromeTrace, type ChromeTraceOptions } from "./report/chrome-trace.js";
export { runOutcome, type RunOutcome } from "./report/outcome.js";
