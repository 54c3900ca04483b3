// ReviserAgent: acts on a review. Each key term the draft misses gets a sentence from its brief's
// source document (the one that carries most of the brief's key terms, the shortest of those), put
// in that brief's section; then every sentence that runs long is split at a clause boundary. The
// revision is reviewed again with the same measures, so its record shows what changed.
import { defineAgent } from "wavepool/agent";
import { BUNDLED_DATA, loadCorpus, type Doc } from "./corpus.js";
import { briefsIn, isArticle } from "./inputs.js";
import { blocksOf, isProse, mentions, readability } from "./measures.js";
import type { Research } from "./research.js";
import { LONG_SENTENCE, reviewDraft, type Review } from "./review.js";
import { splitSentences, words } from "./text.js";
import type { Article } from "./writer.js";

/** Options given at `addAgent` (or in the strategy file). */
export type ReviserOptions = {
  /** Where the briefs' source documents are. @default the bundled examples/data */
  dataDir?: string;
} | undefined;

export interface Revision extends Article {
  /** What the reviser did, one line per change. */
  changes: string[];
  /** The revision, reviewed as the draft was. */
  review: Review;
}

/** Where a long sentence may end: after a clause, before `and`, `so` or `but`, or at a semicolon. */
const CLAUSE_BREAK = /, (and|so|but) |; /g;
/** Neither half of a split may be shorter than this many words. */
const MIN_HALF = 6;

function isReview(value: unknown): value is Review {
  const v = value as Partial<Review> | null;
  return typeof v === "object" && v !== null && typeof v.score === "number" && Array.isArray(v.missing);
}

/** The sentence of `doc` that best brings `term` into the brief's section, if any is not there yet. */
function sentenceFor(term: string, doc: Doc, brief: Research, markdown: string): string | undefined {
  const onTopic = (sentence: string): number => brief.keywords.filter((k) => mentions(sentence, k.term)).length;
  return doc.sentences
    .filter((sentence) => mentions(sentence, term) && !markdown.includes(sentence))
    .map((sentence) => ({ sentence, onTopic: onTopic(sentence), length: words(sentence).length }))
    .sort((a, b) => b.onTopic - a.onTopic || a.length - b.length)[0]?.sentence;
}

/** Splits a long sentence at the clause break nearest its middle, again while a half runs long. */
export function splitLong(sentence: string): string[] {
  const total = words(sentence).length;
  if (total <= LONG_SENTENCE) return [sentence];
  let best: { at: number; end: number; keep: string; balance: number } | undefined;
  for (const match of sentence.matchAll(CLAUSE_BREAK)) {
    const left = words(sentence.slice(0, match.index)).length;
    if (left < MIN_HALF || total - left < MIN_HALF) continue;
    const balance = Math.abs(total - 2 * left);
    // "and" goes; "so" and "but" carry meaning and open the next sentence.
    const keep = match[1] === "so" || match[1] === "but" ? `${match[1]} ` : "";
    if (best === undefined || balance < best.balance) best = { at: match.index, end: match.index + match[0].length, keep, balance };
  }
  if (best === undefined) return [sentence];
  const rest = `${best.keep}${sentence.slice(best.end)}`;
  return [`${sentence.slice(0, best.at)}.`, ...splitLong(rest.charAt(0).toUpperCase() + rest.slice(1))];
}

export default defineAgent<ReviserOptions, Revision>({
  name: "ReviserAgent",
  expertise: "Revises a draft as its review advises: missing key terms, long sentences",
  execute(_intent, ctx) {
    const draft = Object.values(ctx.inputs).find(isArticle);
    const review = Object.values(ctx.inputs).find(isReview);
    const briefs = briefsIn(ctx.inputs);
    if (draft === undefined || review === undefined || briefs.length === 0) {
      throw new Error("ReviserAgent needs a draft, its review and the research briefs in its inputs; its intent template must read all three");
    }
    const docs = new Map(loadCorpus(ctx.options?.dataDir ?? BUNDLED_DATA).map((doc) => [doc.file, doc]));
    const blocks = blocksOf(draft.markdown);
    const changes: string[] = [];

    for (const { term, source } of review.missing) {
      const brief = briefs.find((b) => b.source === source);
      const doc = docs.get(source);
      const heading = blocks.findIndex((block) => block === `## ${brief?.topic}`);
      const at = blocks.findIndex((block, i) => i > heading && isProse(block));
      if (brief === undefined || doc === undefined || heading < 0 || at < 0) continue;
      if (mentions(blocks[at]!, term)) continue; // an earlier addition brought it in
      const sentence = sentenceFor(term, doc, brief, blocks.join("\n\n"));
      if (sentence === undefined) continue;
      blocks[at] = `${blocks[at]} ${sentence}`;
      changes.push(`added to ${brief.topic}, for "${term}": ${sentence}`);
    }

    for (const [i, block] of blocks.entries()) {
      if (!isProse(block)) continue;
      const sentences = splitSentences(block);
      const split = sentences.flatMap(splitLong);
      if (split.length === sentences.length) continue;
      blocks[i] = split.join(" ");
      changes.push(`split ${split.length - sentences.length} long sentences in "${block.slice(0, 40)}..."`);
    }

    const markdown = blocks.join("\n\n");
    const revised = reviewDraft(markdown, briefs);
    const { readingEase, grade } = readability(blocks.filter(isProse).join(" "));
    ctx.log.info("revised", { changes: changes.length, score: `${review.score} -> ${revised.score}` });
    return {
      title: draft.title,
      markdown,
      words: words(markdown).length,
      readability: { readingEase, grade },
      coverage: revised.coverage,
      sources: draft.sources,
      changes,
      review: revised,
    };
  },
});
