// How a run stops early, in one place: a cancel (the caller's signal, fail-fast, an internal error),
// a termination that holds, or a hand-over to the strategy `onStepFailed` gave. Each stops what
// would start (ready steps, waiting retries); a cancel and a termination also stop the running
// attempts and settle the pending steps, while a hand-over lets running attempts end.
import { RunCancelledError } from "../errors.js";
import type { GraphTermination } from "../graph/termination.js";
import type { ReadyQueue } from "../schedule/ready-queue.js";
import type { Flight } from "./attempt-runner.js";
import type { Fired } from "./conditions.js";
import type { RetryTimers } from "./retry-timers.js";
import type { RunJournal } from "./run-journal.js";
import type { RunReporter } from "./run-reporter.js";
import type { RunState, Stop } from "./run-state.js";

/** What stopping reaches in the run. */
export interface StopParts {
  state: RunState;
  ready: ReadyQueue;
  retries: RetryTimers;
  flights: ReadonlyMap<number, Flight>;
  journal: RunJournal | undefined;
  report: RunReporter;
  terminations: readonly GraphTermination[];
  /** Fan-out steps whose items the stop settled: the loop records them. */
  parentsSettled(): void;
  /** The loop goes on (it ends the run once nothing runs). */
  pump(): void;
  /** Whether the run has already finished: a late stop changes nothing. */
  finished(): boolean;
}

export class RunStop {
  readonly #p: StopParts;
  #stop: Stop;
  #terminationReason: string | undefined;

  constructor(parts: StopParts) {
    this.#p = parts;
  }

  /** How the run stopped, if it did. */
  get stop(): Stop {
    return this.#stop;
  }

  /** The rendered reason of the termination that stopped the run. */
  get terminationReason(): string | undefined {
    return this.#terminationReason;
  }

  /** Cancels the run: nothing new starts, running steps stop, what finished is kept. A cancel the caller asked for is news to nobody: `info`. */
  cancel(reason: string, level: "warn" | "info" = "warn"): void {
    // A cancel also stops a run that was handing over to a redesign.
    if ((this.#stop !== undefined && this.#stop !== "redesigned") || this.#p.finished()) return;
    this.#stop = "cancelled";
    this.#p.report.log(level, `run cancelled: ${reason}`);
    this.#stopEverything(reason, `the run was cancelled before this step started (${reason})`);
  }

  /** A termination holds: nothing new starts, running steps are stopped, pending ones skipped; what finished is kept. */
  terminate(fired: Fired): void {
    if (this.#stop !== undefined || this.#p.finished()) return;
    this.#stop = "terminated";
    const t = this.#p.terminations[fired.index]!;
    this.#terminationReason = fired.reason ?? `terminate[${fired.index}] holds: ${t.when.text}`;
    this.#p.report.log("info", `run terminated: ${this.#terminationReason}`);
    this.#stopEverything(`the run was terminated: ${this.#terminationReason}`, "");
  }

  /** The run hands over to a new strategy: nothing new starts, what runs ends. False if it already stopped. */
  redesign(): boolean {
    if (this.#stop !== undefined) return false;
    this.#stop = "redesigned";
    this.#startNothing();
    return true;
  }

  /** The run stopped: its pending steps are cancelled, or skipped by its termination. */
  dropPending(why: string): void {
    const { state, journal } = this.#p;
    const settled = this.#stop === "terminated" ? state.terminatePending() : state.cancelPending(new RunCancelledError(why));
    journal?.settled(settled);
    this.#p.parentsSettled();
  }

  /** Nothing new starts (retries included), pending steps settle (`why`), running ones are stopped (`reason`). */
  #stopEverything(reason: string, why: string): void {
    this.#startNothing();
    this.dropPending(why);
    for (const attempt of this.#p.flights.values()) attempt.cancel(reason);
    this.#p.pump();
  }

  /** No retry waits any more, and nothing ready will start. */
  #startNothing(): void {
    this.#p.retries.clear();
    this.#p.ready.drain();
  }
}
