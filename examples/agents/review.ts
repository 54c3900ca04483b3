// What a reviewer measures in a draft: how many of the briefs' key terms its prose mentions, how
// easy it is to read (Flesch), and how many of its sentences run long. One score from 0 to 1
// weighs them, and advice says what would raise it. Shared by the reviewer and the reviser.
import type { Research } from "./research.js";
import { mentions, proseOf, readability } from "./measures.js";
import { splitSentences, words } from "./text.js";

/** A sentence of more words than this runs long. */
export const LONG_SENTENCE = 25;
/** Flesch reading ease from which prose counts as plain (1) and at which it counts as hard (0). */
const PLAIN = 60;
const HARD = 30;
/** How much each measure counts in the score. */
const WEIGHTS = { coverage: 0.5, ease: 0.3, short: 0.2 };

export interface Review {
  /** 0 to 1: half coverage, three tenths reading ease, two tenths sentences that do not run long. */
  score: number;
  /** Share of the briefs' key terms the prose mentions. */
  coverage: number;
  /** Key terms the prose does not mention, with the brief (source document) that listed each. */
  missing: { term: string; source: string }[];
  readingEase: number;
  grade: number;
  sentences: number;
  /** Sentences of more than LONG_SENTENCE words. */
  longSentences: number;
  /** What would raise the score, in words. */
  advice: string[];
}

/** Reviews a Markdown draft against the briefs it was written from. */
export function reviewDraft(markdown: string, briefs: Research[]): Review {
  const prose = proseOf(markdown);
  const terms = new Map<string, { term: string; source: string }>();
  for (const brief of briefs) {
    for (const { term } of brief.keywords) if (!terms.has(term.toLowerCase())) terms.set(term.toLowerCase(), { term, source: brief.source });
  }
  const missing = [...terms.values()].filter(({ term }) => !mentions(prose, term));
  const coverage = terms.size === 0 ? 1 : 1 - missing.length / terms.size;
  const { readingEase, grade } = readability(prose);
  const sentences = splitSentences(prose);
  const longSentences = sentences.filter((sentence) => words(sentence).length > LONG_SENTENCE).length;
  const ease = Math.min(1, Math.max(0, (readingEase - HARD) / (PLAIN - HARD)));
  const short = 1 - longSentences / Math.max(1, sentences.length);
  const advice: string[] = [];
  if (missing.length > 0) advice.push(`mention ${missing.map((m) => m.term).join(", ")}`);
  if (longSentences > 0) advice.push(`split ${longSentences} of ${sentences.length} sentences longer than ${LONG_SENTENCE} words`);
  if (readingEase < PLAIN) advice.push(`raise the reading ease from ${readingEase} towards ${PLAIN}`);
  return {
    score: round2(WEIGHTS.coverage * coverage + WEIGHTS.ease * ease + WEIGHTS.short * short),
    coverage: round2(coverage),
    missing,
    readingEase,
    grade,
    sentences: sentences.length,
    longSentences,
    advice,
  };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
