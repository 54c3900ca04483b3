// The seed's redesign: when a step fails for good, `onStepFailed` (on the main thread, maybe
// asynchronously) may answer with a new strategy. The run goes on meanwhile; a valid answer hands
// it over (./run.ts stops dispatching, lets running steps end, and the orchestrator goes on with
// the new strategy); anything else lets the failure stand, with a log line that says why.
import type { ErrorInfo } from "../errors.js";
import type { StrategyMap } from "../strategy/strategy-map.js";
import { preciseNow } from "../pool/precise-time.js";
import type { ParallelOrchestrationResult, StepRecord } from "./result.js";
import type { RunReporter } from "./run-reporter.js";
import type { ExecuteOptions, StepFailure } from "./run-setup.js";

/** A run's hand-over to the strategy `onStepFailed` gave for the failure of `stepId`. */
export interface Redesigned {
  strategy: StrategyMap;
  stepId: string;
  error: ErrorInfo;
  /** When (fractional epoch ms). */
  at: number;
}

export interface RedesignParts {
  ask: ExecuteOptions["onStepFailed"];
  /** Why a value cannot replace the run's strategy, or undefined if it can. */
  check: ((strategy: unknown) => string | undefined) | undefined;
  report: RunReporter;
  /** Runs a callback of the run's loop (a bug in it cancels the run). */
  guard(fn: () => void): void;
  /** A valid redesign: the run takes it (true) unless it is stopping already. */
  decided(): boolean;
  /** The run as it is now, for `onStepFailed`. */
  snapshot(): ParallelOrchestrationResult;
  /** An answer came (whatever it was): the loop may go on, or end. */
  answered(): void;
}

export class RedesignDesk {
  readonly #p: RedesignParts;
  #deciding = 0;
  /** The redesign the run took, once it took one. */
  #taken: Redesigned | undefined;

  constructor(parts: RedesignParts) {
    this.#p = parts;
  }

  /** Whether anything would be asked. */
  get asks(): boolean {
    return this.#p.ask !== undefined;
  }

  /** `onStepFailed` calls not answered yet: the run does not end before they are. */
  get deciding(): number {
    return this.#deciding;
  }

  /** The redesign the run took, if it took one. */
  get taken(): Redesigned | undefined {
    return this.#taken;
  }

  /** Step `record` failed for good: asks `onStepFailed` what to do, with the run as it is now. */
  failed(record: StepRecord): void {
    const { ask, report, guard } = this.#p;
    if (ask === undefined) return;
    const failure: StepFailure = { stepId: record.stepId, error: record.error!, result: this.#p.snapshot() };
    this.#deciding++;
    const answered = (strategy: unknown): void => guard(() => {
      this.#deciding--;
      if (strategy !== undefined && strategy !== null) {
        const why = this.#p.check?.(strategy);
        if (why !== undefined) {
          report.log("error", `onStepFailed answered the failure of step ${failure.stepId} with ${why}; the failure stands`);
        } else if (this.#taken === undefined && this.#p.decided()) {
          this.#taken = { strategy: strategy as StrategyMap, stepId: failure.stepId, error: failure.error, at: preciseNow() };
          report.log("warn", `step ${failure.stepId} failed; onStepFailed gave a new strategy (${(strategy as StrategyMap).goal}): the run goes on with it once the steps running now have ended`);
        }
      }
      this.#p.answered();
    });
    const threw = (error: unknown): void => {
      report.log("error", `onStepFailed threw on the failure of step ${failure.stepId}: ${(error as Error)?.message ?? String(error)}; the failure stands`);
      answered(undefined);
    };
    try {
      Promise.resolve(ask(failure)).then(answered, threw);
    } catch (error) {
      threw(error);
    }
  }
}
