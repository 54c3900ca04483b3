// CPU-bound agent: the intent starts with "work <units>"; it hashes units × iterationsPerUnit
// times (the benchmark calibrates iterationsPerUnit so that a unit is a known number of ms) and
// returns a short digest that its dependents' templates read.
import { defineAgent } from "wavepool/agent";
import { hashWork } from "./hash-work.js";

export interface BusyOptions {
  iterationsPerUnit: number;
}

export default defineAgent<BusyOptions, string>({
  name: "Busy",
  expertise: "Burns a fixed amount of CPU",
  execute(intent, ctx) {
    const units = Number(/^work (\d+(?:\.\d+)?)/.exec(intent)?.[1] ?? 0);
    const digest = hashWork(Math.round(units * ctx.options.iterationsPerUnit), intent.length);
    return `${ctx.stepId}:${digest.toString(16)}`;
  },
});
