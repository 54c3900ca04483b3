// The call ids a run listens on: one for its steps (their clock is the run's), one per fan-out (the
// items' clock, ./fan-out.ts). Each routes the calls agents make back (logs, progress, partial
// outputs, approval requests, stray errors) to the run's units, and answers a thread's request for
// what the attempts on that clock share.
import type { DependencyGraph } from "../graph/dependency-graph.js";
import type { HostHub } from "../pool/host-channel.js";
import type { LogLevel, RunConstants } from "../pool/protocol.js";
import type { ApprovalDesk } from "./approvals.js";
import type { StepRecord } from "./result.js";
import { callListener } from "./run-calls.js";
import type { RunIdentity } from "./run-constants.js";
import type { RunReporter } from "./run-reporter.js";
import type { Units } from "./units.js";

export interface LaneOwner {
  runId: string;
  graph: DependencyGraph;
  hub: HostHub;
  units: Units;
  report: RunReporter;
  approvals: ApprovalDesk;
  records: StepRecord[];
  loadTimeoutMs: number;
  logLevel: LogLevel;
  /** Whether `attempt` is unit `u`'s attempt in flight. */
  current(u: number, attempt: number): boolean;
  guard(fn: () => void): void;
  recordChanged(u: number): void;
}

export class Lanes {
  readonly #o: LaneOwner;
  readonly #ids: number[] = [];
  /** The run's start (epoch ms), once it has started. */
  epoch = 0;

  constructor(owner: LaneOwner) {
    this.#o = owner;
  }

  /**
   * Listens to the calls of the attempts on `clock`, whose slot `s` is unit `unitOf(s)`; `constants`
   * makes what they share on a thread from their identity. Returns the call id their tasks carry.
   */
  open(clock: Int32Array, unitOf: (slot: number) => number, constants: (identity: RunIdentity) => RunConstants): number {
    const o = this.#o;
    let made: RunConstants | undefined;
    const id = o.hub.listen(callListener({
      graph: o.graph, clock, unitOf, report: o.report, approvals: o.approvals, records: o.records,
      named: (u) => ({ stepId: o.units.idOf(u), agent: o.graph.steps[o.units.stepOf[u]!]!.assignedAgent }),
      current: o.current, guard: o.guard, recordChanged: o.recordChanged,
      constants: () => (made ??= constants({ callId: id, runId: o.runId, clock, epoch: this.epoch, loadTimeoutMs: o.loadTimeoutMs, logLevel: o.logLevel })),
    }));
    this.#ids.push(id);
    return id;
  }

  /** The run is over: nothing more is listened to. */
  close(): void {
    for (const id of this.#ids) this.#o.hub.forget(id);
    this.#ids.length = 0;
  }
}
