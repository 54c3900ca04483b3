// How the line display (a pipe, a CI log) tells a fan-out's items: a line per item would bury the
// log under 10,000 of them. Instead: one line when the first item starts, the first few item
// failures as they come (each with its error), and a tally of the items whenever the number of item
// ends reaches 1, 2, 5, 10, 20, 50, ..., and once more when the fan-out is over. Quarters of the way,
// like progress reports, would need the number of items, which no event carries; this series gives
// 13 tallies for 10,000 items and depends only on the events, not on timing.
import type { RunEvent } from "../run/events.js";
import type { StrategyMap } from "../strategy/strategy-map.js";
import { FanOutProgress } from "./progress-fan-out.js";
import type { StepPhase } from "./progress-model.js";
import { safeText as t } from "./safe-text.js";

/** Item failures printed as their own lines, per fan-out; later ones are only counted. */
export const ITEM_FAILURES_SHOWN = 3;

interface FanOutLog {
  label: string;
  fan: FanOutProgress;
  /** Item attempt ends so far, and at the last tally. */
  ends: number;
  tallied: number;
  nextTally: number;
  failures: number;
}

/** What to print for an event: lines before its own, whether its own line prints, lines after. */
export interface ItemLinesAnswer { before: string[]; own: boolean; after: string[] }

/** The next tally mark after `n`: 1, 2, 5, 10, 20, 50, 100, ... */
export function nextTally(n: number): number {
  for (let decade = 1; ; decade *= 10) for (const mark of [1, 2, 5]) if (mark * decade > n) return mark * decade;
}

export class ItemLines {
  readonly #fanOuts = new Map<string, FanOutLog>();
  /** By step id, the fan-outs the step waits for: when it starts, they are over. */
  readonly #waitsFor = new Map<string, string[]>();

  constructor(strategy?: StrategyMap) {
    if (strategy === undefined) return;
    const graph = strategy.graph();
    graph.steps.forEach((step, i) => {
      const fanOuts = graph.deps[i]!.map((d) => graph.steps[d]!).filter((s) => s.forEach !== undefined).map((s) => s.stepId);
      if (fanOuts.length > 0) this.#waitsFor.set(step.stepId, fanOuts);
    });
  }

  take(event: RunEvent): ItemLinesAnswer {
    const answer: ItemLinesAnswer = { before: [], own: true, after: [] };
    if (event.type === "run:end") {
      for (const parent of this.#fanOuts.keys()) this.#flush(parent, answer.before);
      return answer;
    }
    if (event.type !== "step:start" && event.type !== "step:progress" && event.type !== "step:output" && event.type !== "step:end") return answer;
    if (event.parent === undefined || event.item === undefined) {
      // The fan-out's own end, or a step that waits for it starting: the fan-out is over.
      if (event.type === "step:end") this.#flush(event.stepId, answer.before);
      if (event.type === "step:start") for (const parent of this.#waitsFor.get(event.stepId) ?? []) this.#flush(parent, answer.before);
      return answer;
    }
    answer.own = false;
    let log = this.#fanOuts.get(event.parent);
    if (log === undefined) {
      log = { label: `${event.parent}[*] (${event.agent})`, fan: new FanOutProgress(), ends: 0, tallied: 0, nextTally: 1, failures: 0 };
      this.#fanOuts.set(event.parent, log);
    }
    if (event.type === "step:start") {
      if (log.fan.startedAt === undefined) answer.before.push(`items ${t(log.label)} wave ${event.wave} started`);
      log.fan.startedAt ??= event.time;
      log.fan.set(event.item, "running");
    } else if (event.type === "step:end") {
      log.fan.set(event.item, event.status === "pending" ? "queued" : (event.status satisfies StepPhase));
      log.ends++;
      if ((event.status === "failed" || event.status === "timed_out") && ++log.failures <= ITEM_FAILURES_SHOWN) {
        answer.own = true;
        if (log.failures === ITEM_FAILURES_SHOWN) answer.after.push(`items ${t(log.label)} further item failures are counted, not shown`);
      }
      if (log.ends >= log.nextTally) answer.after.push(this.#tally(log));
    }
    return answer;
  }

  #tally(log: FanOutLog): string {
    log.tallied = log.ends;
    log.nextTally = nextTally(log.ends);
    return `items ${t(log.label)} ${log.fan.text()}`;
  }

  /** The last tally of a fan-out, if items ended since the one before. */
  #flush(parent: string, into: string[]): void {
    const log = this.#fanOuts.get(parent);
    if (log !== undefined && log.ends > log.tallied) into.push(this.#tally(log));
  }
}
