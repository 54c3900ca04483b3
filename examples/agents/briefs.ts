// The research briefs among an agent's inputs: a ResearchAgent output read alone, or a fan-out's
// list of them.
import type { Research } from "./research.js";

export function isResearch(value: unknown): value is Research {
  const v = value as Partial<Research> | null;
  return typeof v === "object" && v !== null && typeof v.topic === "string" && typeof v.summary === "string" &&
    Array.isArray(v.keywords);
}

/** Every brief in `inputs`, in the order the inputs and lists give them. */
export function briefsIn(inputs: Record<string, unknown>): Research[] {
  return Object.values(inputs).flatMap((value) => (Array.isArray(value) ? value : [value])).filter(isResearch);
}
