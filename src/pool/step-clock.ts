// The shared clock of a run: a few Int32 cells per step in one SharedArrayBuffer, written by the
// thread that runs the step and read by the main thread's watchdog. This file is the one place the
// layout is declared; the worker and the main thread both go through these functions.
//
// Per step (slot): phase, thread id + 1, a time (ms since the run's epoch, + 1) and an abort flag.
// The time is when the phase began: the watchdog times an agent's import from LOADING and the
// step from RUNNING, never from when the task was queued in the pool. It is rounded to the
// millisecond (an Int32 of them lasts 24 days), which is all a watchdog needs; the exact start of an
// attempt comes back with its outcome, and only one that never returned (its thread was terminated
// or died) has its start read from here.
//
// After the last slot, one cell says whether the run has ended: a worker keeps a run's constants
// (./protocol.ts `RunConstants`, this clock among them) until it sees that cell set.
//
// After that, in the same buffer, two Float64 per slot (`clockTimes`): when the agent started and
// ended, exact, written by the worker when the agent returned a primitive output. Then the phase is
// DONE and the task's result is the output itself: the common step's answer is as small as it gets
// (a result object with times costs the main thread, the pool's bottleneck, ~15% of a step).

import { preciseNow } from "./precise-time.js";

/** Int32 cells per step. */
export const CLOCK_CELLS = 4;

const PHASE = 0;
const THREAD = 1;
const TIME = 2;
const ABORT = 3;

/** Where an attempt is on its thread. */
export const Phase = {
  /** Handed to the pool, not picked up by a thread yet. */
  queued: 0,
  /** A thread took it and is importing its agent module. */
  loading: 1,
  /** The agent is executing. */
  running: 2,
  /** The thread refused it: it is unsafe after a stray error and exits; the attempt is to be sent again. */
  recycled: 3,
  /**
   * The step is over and its answer is on its way: the output itself when the agent returned a
   * primitive (its times are then in `clockTimes`), else an outcome object.
   */
  done: 4,
} as const;
export type Phase = (typeof Phase)[keyof typeof Phase];

/** A clock for `steps` steps. */
export function createClock(steps: number): Int32Array {
  const cells = Math.max(1, steps) * CLOCK_CELLS + 1;
  const buffer = new SharedArrayBuffer(timesOffset(cells) + Math.max(1, steps) * 2 * 8);
  return new Int32Array(buffer, 0, cells);
}

/** The exact start and end of each slot's attempt (`[2 * slot]`, `[2 * slot + 1]`); make it once per run and keep it. */
export function clockTimes(clock: Int32Array): Float64Array {
  const offset = timesOffset(clock.length);
  return new Float64Array(clock.buffer, offset, (clock.buffer.byteLength - offset) / 8);
}

function timesOffset(cells: number): number {
  return Math.ceil(cells / 2) * 8;
}

/** Worker side: the step of `slot` is over; its answer is an outcome object. */
export function markFinished(clock: Int32Array, slot: number): void {
  Atomics.store(clock, slot * CLOCK_CELLS + PHASE, Phase.done);
}

/** Worker side: the agent of `slot` returned a primitive output, the task's result; these are its times. */
export function markDone(clock: Int32Array, times: Float64Array, slot: number, startedAt: number, endedAt: number): void {
  times[2 * slot] = startedAt;
  times[2 * slot + 1] = endedAt;
  Atomics.store(clock, slot * CLOCK_CELLS + PHASE, Phase.done);
}

/** Main side: the run is over; workers may drop what they keep of it. */
export function markRunEnded(clock: Int32Array): void {
  Atomics.store(clock, clock.length - 1, 1);
}

export function runHasEnded(clock: Int32Array): boolean {
  return Atomics.load(clock, clock.length - 1) !== 0;
}

/** Clears a slot before an attempt is dispatched. */
export function resetSlot(clock: Int32Array, slot: number): void {
  clock.fill(0, slot * CLOCK_CELLS, (slot + 1) * CLOCK_CELLS);
}

/** Worker side: the attempt entered `phase` now, on thread `threadId`. */
export function enterPhase(clock: Int32Array, slot: number, phase: Phase, threadId: number, epoch: number): void {
  const base = slot * CLOCK_CELLS;
  Atomics.store(clock, base + THREAD, threadId + 1);
  // Whole milliseconds, never below 1: 0 means no phase yet.
  Atomics.store(clock, base + TIME, Math.max(0, Math.round(preciseNow() - epoch)) + 1);
  Atomics.store(clock, base + PHASE, phase);
}

export function phaseOf(clock: Int32Array, slot: number): Phase {
  return Atomics.load(clock, slot * CLOCK_CELLS + PHASE) as Phase;
}

/** When the current phase began (epoch ms), or undefined while queued. */
export function phaseSince(clock: Int32Array, slot: number, epoch: number): number | undefined {
  const v = Atomics.load(clock, slot * CLOCK_CELLS + TIME);
  return v === 0 ? undefined : epoch + v - 1;
}

/** When the agent began executing (epoch ms), or undefined if it never did. */
export function startedAt(clock: Int32Array, slot: number, epoch: number): number | undefined {
  return phaseOf(clock, slot) === Phase.running ? phaseSince(clock, slot, epoch) : undefined;
}

/** The thread that took the attempt, or -1. */
export function threadOf(clock: Int32Array, slot: number): number {
  return Atomics.load(clock, slot * CLOCK_CELLS + THREAD) - 1;
}

/** Main side: asks the agent to stop (its `ctx.signal` aborts) before its thread is terminated. */
export function requestAbort(clock: Int32Array, slot: number): void {
  const cell = slot * CLOCK_CELLS + ABORT;
  Atomics.store(clock, cell, 1);
  Atomics.notify(clock, cell);
}

export function abortRequested(clock: Int32Array, slot: number): boolean {
  return Atomics.load(clock, slot * CLOCK_CELLS + ABORT) !== 0;
}

/**
 * Worker side: resolves true when the main thread asks the attempt to stop, or false once `stop` was
 * called (the attempt ended). Uses Atomics.waitAsync, so a waiting agent costs no timer and no poll.
 */
export function whenAbortRequested(clock: Int32Array, slot: number): { promise: Promise<boolean>; stop(): void } {
  const cell = slot * CLOCK_CELLS + ABORT;
  let stopped = false;
  const wait = Atomics.waitAsync(clock, cell, 0);
  const promise = wait.async ? wait.value.then(() => !stopped && Atomics.load(clock, cell) !== 0) : Promise.resolve(!stopped);
  return {
    promise,
    stop() {
      stopped = true;
      // Wakes our own waiter so it does not outlive the attempt.
      if (wait.async) Atomics.notify(clock, cell);
    },
  };
}
