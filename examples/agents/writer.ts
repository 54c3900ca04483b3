// WriterAgent: composes a Markdown article from the research briefs its intent template read, alone
// or as a fan-out's list (title, introduction, one section per brief, conclusion), and scores the
// prose for readability.
import { defineAgent } from "wavepool/agent";
import { briefsIn } from "./inputs.js";
import type { Research } from "./research.js";
import { mentions, readability } from "./measures.js";
import { words } from "./text.js";

/** What the agent returns: plain data, safe to clone to the main thread. */
export interface Article {
  title: string;
  markdown: string;
  words: number;
  /** Flesch reading ease (higher is easier; 30-50 is typical of technical prose) and Flesch-Kincaid grade. */
  readability: { readingEase: number; grade: number };
  /** Share of the briefs' key terms that made it into the article. */
  coverage: number;
  sources: string[];
}

/** "Write an article about Rust's versatility." -> "Rust's versatility". */
function subjectOf(task: string): string {
  const subject = task.replace(/^\s*write\s+(?:an?\s+)?(?:article|post|piece)\s+(?:about|on)\s+/i, "").replace(/[.!?\s]+$/, "");
  return subject.charAt(0).toUpperCase() + subject.slice(1);
}

function sturdiest(brief: Research, terms: string[], limit = 3): string[] {
  const stability = new Map(brief.keywords.map((k) => [k.term, k.stability]));
  return [...terms].sort((a, b) => (stability.get(b) ?? 0) - (stability.get(a) ?? 0)).slice(0, limit);
}

const SMALL_WORDS = new Set(["a", "an", "and", "for", "in", "of", "on", "or", "the", "to"]);

function titleCase(text: string): string {
  return text.replace(/[A-Za-z][\w'-]*/g, (word, offset: number) =>
    offset > 0 && SMALL_WORDS.has(word) ? word : word.charAt(0).toUpperCase() + word.slice(1));
}

/** "Systems programming" -> "systems programming", "WebAssembly" stays. */
function inline(topic: string): string {
  return /^[A-Z][a-z]+\b/.test(topic) ? topic.charAt(0).toLowerCase() + topic.slice(1) : topic;
}

function list(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)!}`;
}

/**
 * Themes that run through the briefs: a key term of one brief that is also among another
 * brief's notable terms, best first, leaving out words of the subject itself.
 */
function sharedThemes(briefs: Research[], skip: Set<string>, limit = 3): string[] {
  const themes = new Map<string, number>();
  for (const brief of briefs) {
    for (const { term, score } of brief.keywords) {
      const lower = term.toLowerCase();
      const elsewhere = briefs.some((other) => other !== brief && other.terms.some((t) => t.term.toLowerCase() === lower));
      if (elsewhere && !lower.split(" ").some((word) => skip.has(word))) themes.set(term, Math.max(score, themes.get(term) ?? 0));
    }
  }
  return [...themes].sort((x, y) => y[1] - x[1]).slice(0, limit).map(([term]) => term);
}

export default defineAgent<unknown, Article>({
  name: "WriterAgent",
  expertise: "Writes an article from research briefs",
  async execute(intent, ctx) {
    const briefs = briefsIn(ctx.inputs);
    if (briefs.length === 0) {
      throw new Error("WriterAgent found no research brief in its inputs; its intent template must read a ResearchAgent output");
    }
    const task = typeof ctx.inputs.task === "string" ? ctx.inputs.task : intent.split("\n")[0] ?? "";
    ctx.log.info("writing", { briefs: briefs.length, intentChars: intent.length });
    await ctx.progress(0.1, `composing from ${briefs.length} briefs`);

    const subject = subjectOf(task);
    const topics = briefs.map((brief) => brief.topic);
    const title = titleCase(`${subject}: ${list(topics)}`);
    const shared = sharedThemes(briefs, new Set(words(subject).map((word) => word.toLowerCase())));
    const own = briefs.map((brief) => brief.keywords.map((k) => k.term).filter((term) => !shared.includes(term)));

    const intro = `${subject} is easiest to see side by side. This article looks at ${list(topics.map(inline))}: ` +
      `what the language offers in each, and what carries over from one to the other.`;
    const sections = briefs.map((brief) =>
      `## ${brief.topic}\n\n${brief.summary}\n\n_Key terms: ${list(brief.keywords.map((k) => k.term))}._`);
    // Each brief's own emphasis: its sturdiest key terms (by bootstrap stability) not already shared.
    const contrasts = briefs.map((brief, i) =>
      `the ${inline(brief.topic)} brief centres on ${list(sturdiest(brief, own[i]!))}`);
    const conclusion = (shared.length > 0
      ? `Some themes run through ${briefs.length === 2 ? "both" : "all the"} briefs: ${list(shared)}. `
      : "The briefs share little vocabulary, which is itself a sign of range. ") +
      `Beyond them, ${contrasts.join(", while ")}. That is ${subject} in practice: the same strengths, serving very different jobs.`;
    const markdown = [`# ${title}`, intro, ...sections, `## Conclusion\n\n${conclusion}`].join("\n\n");
    await ctx.progress(0.6, "scoring readability");

    const prose = [intro, ...briefs.map((brief) => brief.summary), conclusion].join(" ");
    const score = readability(prose);
    const terms = briefs.flatMap((brief) => brief.keywords.map((k) => k.term));
    const covered = terms.filter((term) => mentions(markdown.replace(/_Key terms:[^\n]*/g, ""), term)).length;
    ctx.log.info("article written", { words: score.words, readingEase: score.readingEase });
    return {
      title,
      markdown,
      words: words(markdown).length,
      readability: { readingEase: score.readingEase, grade: score.grade },
      coverage: Math.round((covered / Math.max(1, terms.length)) * 100) / 100,
      sources: briefs.map((brief) => brief.source),
    };
  },
});
