// What the example agents look for among their inputs: research briefs (a ResearchAgent output read
// alone, or a fan-out's list of them) and a draft (a WriterAgent or ReviserAgent output).
import type { Research } from "./research.js";
import type { Article } from "./writer.js";

export function isResearch(value: unknown): value is Research {
  const v = value as Partial<Research> | null;
  return typeof v === "object" && v !== null && typeof v.topic === "string" && typeof v.summary === "string" &&
    Array.isArray(v.keywords);
}

/** Every brief in `inputs`, in the order the inputs and lists give them. */
export function briefsIn(inputs: Record<string, unknown>): Research[] {
  return Object.values(inputs).flatMap((value) => (Array.isArray(value) ? value : [value])).filter(isResearch);
}

export function isArticle(value: unknown): value is Article {
  const v = value as Partial<Article> | null;
  return typeof v === "object" && v !== null && typeof v.markdown === "string" && typeof v.title === "string";
}
