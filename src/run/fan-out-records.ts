// The records of a fan-out (a `forEach` step) and its items: an item's record as it starts, the
// step's own once every item has settled (its span, and the status and error its items give it),
// the order a result lists them in, and the step's output rebuilt from a saved state's items.
import type { StrategyStep } from "../strategy/strategy-step.js";
import type { StepRecord, StepStatus } from "./result.js";

/** Where a fan-out's items are among a run's units (./units.ts). */
export interface FanOutUnits {
  /** The unit of its first item. */
  base: number;
  count: number;
}

/** The pending record of item `k` of fan-out `step` (dependency level `wave`). */
export function itemRecord(step: StrategyStep, k: number, wave: number): StepRecord {
  return {
    stepId: `${step.stepId}[${k}]`, agent: step.assignedAgent, outputKey: `${step.outputKey}[${k}]`, status: "pending",
    parent: step.stepId, item: k, wave, threadId: -1, durationMs: 0, attempts: 0, history: [],
  };
}

/**
 * Every item of a fan-out settled: its record spans them, and the status they give it: completed
 * when all completed, else failed (an item failed or timed out), cancelled, paused or skipped, in
 * that order, with that item's error and skip reason.
 */
export function parentOutcome(record: StepRecord, items: readonly StepRecord[]): StepStatus {
  let startedAt = Infinity;
  let endedAt = -Infinity;
  for (const r of items) {
    if (r.startedAt === undefined) continue;
    startedAt = Math.min(startedAt, r.startedAt);
    endedAt = Math.max(endedAt, r.endedAt!);
  }
  if (startedAt !== Infinity) Object.assign(record, { startedAt, endedAt, durationMs: endedAt - startedAt });
  const worst = items.find((r) => r.status === "failed" || r.status === "timed_out")
    ?? items.find((r) => r.status === "cancelled") ?? items.find((r) => r.status === "paused") ?? items.find((r) => r.status === "skipped");
  if (worst === undefined) return "completed";
  if (worst.error !== undefined) {
    const how = worst.status === "timed_out" ? "timed out" : worst.status;
    record.error = { ...worst.error, message: `item ${worst.item} of step ${record.stepId} ${how}: ${worst.error.message}` };
  }
  if (worst.status === "skipped") record.skipReason = worst.skipReason;
  return worst.status === "timed_out" ? "failed" : worst.status;
}

/** `records` (by unit) in result order: each step's, its items' after it. */
export function orderedRecords(records: readonly StepRecord[], steps: number, fanOuts: ReadonlyMap<number, FanOutUnits>): StepRecord[] {
  if (fanOuts.size === 0) return records as StepRecord[];
  const ordered: StepRecord[] = [];
  for (let i = 0; i < steps; i++) {
    ordered.push(records[i]!);
    const fan = fanOuts.get(i);
    if (fan !== undefined) for (let k = 0; k < fan.count; k++) ordered.push(records[fan.base + k]!);
  }
  return ordered;
}

/** The outputs of a fan-out's `count` items under `key[k]` in a saved state, in order; undefined if one is missing. */
export function itemOutputs(key: string, count: number | undefined, outputs: ReadonlyMap<string, unknown>): unknown[] | undefined {
  if (count === undefined) return undefined;
  const values: unknown[] = [];
  for (let k = 0; k < count; k++) {
    if (!outputs.has(`${key}[${k}]`)) return undefined;
    values.push(outputs.get(`${key}[${k}]`));
  }
  return values;
}
