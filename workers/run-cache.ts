// What the steps of a run share (`RunConstants`: its clock, agents, step ids...), asked from the main
// thread on this thread's first step of the run and kept by call id, so that each step's message
// carries only what changes. A run's entry is dropped once its clock says the run has ended (looked
// at whenever another run's constants arrive).
import type { AgentSpec, RunConstants } from "../src/pool/protocol.js";
import { clockTimes, runHasEnded } from "../src/pool/step-clock.js";
import { hostApi } from "./host-link.js";

const runs = new Map<number, RunConstants>();
const asking = new Map<number, Promise<RunConstants | undefined>>();

/**
 * The constants of run `callId`: at once when this thread has them, else a promise of them (one
 * request per run, however many of its steps wait). Undefined when the run has ended.
 */
export function runConstants(callId: number): RunConstants | Promise<RunConstants | undefined> {
  const known = runs.get(callId);
  if (known !== undefined) return known;
  let pending = asking.get(callId);
  if (pending === undefined) {
    pending = Promise.resolve(hostApi().runConstants(callId)).then(
      (run) => {
        asking.delete(callId);
        if (run !== undefined) {
          for (const [id, old] of runs) if (runHasEnded(old.clock)) runs.delete(id);
          runs.set(callId, run);
        }
        return run;
      },
      (error: unknown) => {
        asking.delete(callId);
        throw error;
      },
    );
    asking.set(callId, pending);
  }
  return pending;
}

const times = new WeakMap<RunConstants, Float64Array>();

/** The exact-times view of `run`'s clock (./step-clock.ts `clockTimes`), made once per run. */
export function timesOf(run: RunConstants): Float64Array {
  let view = times.get(run);
  if (view === undefined) times.set(run, (view = clockTimes(run.clock)));
  return view;
}

/** The agent of step `slot` of `run`. */
export function agentOf(run: RunConstants, slot: number): AgentSpec {
  return run.agents[run.agentOf[slot]!]!;
}
