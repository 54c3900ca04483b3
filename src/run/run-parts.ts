// The parts of one run, made and wired together: its state, scheduler queue, units, state journal,
// reporter, and what decides and settles its steps. The loop that drives them is ./run.ts.
import { bottomLevels } from "../graph/critical-path.js";
import type { LogLevel } from "../pool/protocol.js";
import { createClock } from "../pool/step-clock.js";
import { priorityRule, unitPriority } from "../schedule/priority.js";
import { ReadyQueue } from "../schedule/ready-queue.js";
import { agentLogLevel } from "./agent-log-level.js";
import { ApprovalDesk, decisionFor } from "./approvals.js";
import type { AttemptContext } from "./attempt.js";
import { Conditions } from "./conditions.js";
import { Gate } from "./gate.js";
import { InPool } from "./in-pool.js";
import { Lanes } from "./lanes.js";
import { Repeats } from "./repeats.js";
import { RunJournal } from "./run-journal.js";
import { RunReporter } from "./run-reporter.js";
import type { ExecuteOptions, RunSetup } from "./run-setup.js";
import { RunState } from "./run-state.js";
import { Settlement } from "./settlement.js";
import { UnitTasks } from "./step-task.js";
import { Units } from "./units.js";

export interface RunParts {
  state: RunState;
  ready: ReadyQueue;
  units: Units;
  /** The clock of the run's steps (a fan-out's items have their own, ./fan-out.ts). */
  clock: Int32Array;
  inPool: InPool;
  logLevel: LogLevel;
  journal: RunJournal | undefined;
  report: RunReporter;
  repeats: Repeats;
  settle: Settlement;
  conditions: Conditions;
  approvals: ApprovalDesk;
  lanes: Lanes;
  gate: Gate;
  tasks: UnitTasks;
}

/** What the parts call back into the run's loop. */
export interface RunHooks {
  current(u: number, attempt: number): boolean;
  guard(fn: () => void): void;
  /** What the run's attempts share, once it has started. */
  attempts(): AttemptContext;
  /** The call id of the run's own clock, once it has started. */
  callId(): number;
}

export function runParts(runId: string, setup: RunSetup, options: ExecuteOptions, hooks: RunHooks): RunParts {
  const { graph, config } = setup;
  const state = new RunState(graph, setup.task, setup.inputs);
  const bl = bottomLevels(graph, (i) => setup.cost(graph.steps[i]!.stepId) ?? 1);
  const before = priorityRule(config.scheduling, { bottomLevel: bl, level: graph.level });
  const units = new Units(graph);
  const fans = graph.dynamic.some((d) => d?.forEach !== undefined);
  const logLevel = agentLogLevel(setup.logger);
  const listeners = [...(setup.listeners ?? []), ...(options.onEvent ? [options.onEvent] : [])];
  const { task, inputs, fingerprint, approvals } = setup;
  const journal = setup.journal && new RunJournal(setup.journal, state, { runId, fingerprint, task, inputs, approvals });
  const report = new RunReporter(runId, setup.logger, graph, listeners, journal && ((deliver) => journal.whenWritten(deliver)));
  if (fans) report.withUnits(units);
  const valueOf = (key: string): unknown => state.context.get(key);
  const repeats = new Repeats(graph, valueOf);
  const conditions = new Conditions(graph, valueOf);
  const desk = new ApprovalDesk(runId, options.onApproval);
  const lanes = new Lanes({
    runId, graph, hub: setup.hub, units, report, approvals: desk, records: state.records, loadTimeoutMs: config.agentLoadTimeoutMs, logLevel,
    current: hooks.current, guard: hooks.guard, recordChanged: (u) => journal?.touched(u),
  });
  if (setup.restored) repeats.resume(state.restore(setup.restored));
  const inPool = InPool.of(setup, before, units.stepOf);
  const gate = new Gate({ graph, state, units, conditions, lanes, agents: setup.agents, attempts: hooks.attempts });
  const tasks = new UnitTasks({
    graph, context: state, stepTimeoutMs: config.stepTimeoutMs ?? 0,
    approval: Object.keys(approvals).length > 0 ? (stepId) => decisionFor(approvals, stepId) : () => undefined,
    tiny: (i) => inPool.tiny(i),
  }, { units, gate, repeats, agents: setup.agents }, hooks);
  return {
    inPool, gate, tasks,
    state, units, logLevel, journal, report, repeats, conditions, lanes, approvals: desk,
    ready: new ReadyQueue(fans ? unitPriority(before, units.stepOf) : before),
    clock: createClock(graph.steps.length),
    settle: new Settlement(graph, config, state, journal, report, repeats, units),
  };
}
