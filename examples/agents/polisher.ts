// PolisherAgent: one pass of copy-editing over a Markdown article, the single most useful edit a
// pass finds, by deterministic rules in order: drop a sentence that repeats an earlier one, break a
// chain of "while" clauses, cut a wordy phrase, cut a filler word. Run it under `repeat` with
// `until: "polished == previous"`: each iteration edits the last one's text, and the loop ends at
// the first pass that finds nothing left to change. Headings and `_Key terms_` lines are left alone.
import { defineAgent } from "wavepool/agent";
import { blocksOf, isProse } from "./measures.js";
import { sentenceTerms, splitSentences } from "./text.js";

/** Options given at `addAgent` (or in the strategy file). */
export type PolisherOptions = {
  /**
   * Share of a sentence's content words that another sentence must already say for it to count as
   * repeating that sentence. @default 0.7
   */
  redundancy?: number;
} | undefined;

/** Wordy phrases and their shorter equivalents (whole words, matched in any case). */
const WORDY: [RegExp, string][] = [
  [/\bin order to\b/i, "to"],
  [/\b(?:is|are) able to\b/i, "can"],
  [/\bdue to the fact that\b/i, "because"],
  [/\ba (?:large )?number of\b/i, "many"],
  [/\bthe majority of\b/i, "most"],
  [/\beach and every\b/i, "every"],
  [/\bwhether or not\b/i, "whether"],
  [/\bin practice\b/i, ""],
];

/** Words that add emphasis and nothing else ("just-in-time" is a term: hyphenated words are kept). */
const FILLER = /\b(?:very|really|quite|simply|actually|basically|just)\b(?!-) /i;

/** The content words of a sentence, single words only. */
function contentWords(sentence: string): Set<string> {
  return new Set(sentenceTerms(sentence).terms.filter((term) => !term.includes(" ")));
}

/**
 * The sentence that most repeats an earlier one: most of its content words already said there.
 * Returns its place as [block, sentence] and what it repeats, or undefined.
 */
function mostRedundant(paragraphs: (string[] | undefined)[], threshold: number): { at: [number, number]; share: number } | undefined {
  const seen: Set<string>[] = [];
  let best: { at: [number, number]; share: number } | undefined;
  paragraphs.forEach((sentences, b) => sentences?.forEach((sentence, s) => {
    const mine = contentWords(sentence);
    for (const earlier of seen) {
      let shared = 0;
      for (const word of mine) if (earlier.has(word)) shared++;
      const share = shared / Math.max(1, mine.size);
      if (share >= threshold && (best === undefined || share > best.share)) best = { at: [b, s], share };
    }
    seen.push(mine);
  }));
  return best;
}

/** A sentence with two or more ", while " clauses ends at the second; the rest is a sentence of its own. */
function breakWhileChain(sentence: string): string | undefined {
  const first = sentence.indexOf(", while ");
  const second = first < 0 ? -1 : sentence.indexOf(", while ", first + 1);
  if (second < 0) return undefined;
  const rest = sentence.slice(second + ", while ".length);
  return `${sentence.slice(0, second)}. ${rest.charAt(0).toUpperCase()}${rest.slice(1)}`;
}

/** Replaces the wordy phrase, keeping a capital at the start of the sentence and no stray spaces. */
function tighten(sentence: string, pattern: RegExp, shorter: string): string {
  const edited = sentence.replace(pattern, (_phrase, at: number) => (at === 0 ? shorter.charAt(0).toUpperCase() + shorter.slice(1) : shorter));
  return edited.replace(/ {2,}/g, " ").replace(/ ([.,:;])/g, "$1").trim();
}

/** Applies `rule` to the first sentence it changes; returns the edit's description, or undefined. */
function editFirst(paragraphs: (string[] | undefined)[], name: string, rule: (sentence: string) => string | undefined): string | undefined {
  for (const sentences of paragraphs) {
    for (const [s, sentence] of (sentences ?? []).entries()) {
      const edited = rule(sentence);
      if (edited === undefined || edited === sentence) continue;
      sentences![s] = edited;
      return `${name}: "${sentence}" -> "${edited}"`;
    }
  }
  return undefined;
}

/** One pass: the first rule that finds something makes its edit. */
function polishOnce(markdown: string, redundancy: number): { markdown: string; edit?: string } {
  const blocks = blocksOf(markdown);
  const paragraphs = blocks.map((block) => (isProse(block) ? splitSentences(block) : undefined));
  let edit: string | undefined;
  const repeated = mostRedundant(paragraphs, redundancy);
  if (repeated !== undefined) {
    const [b, s] = repeated.at;
    edit = `dropped a repeat (${Math.round(repeated.share * 100)}% said before): "${paragraphs[b]![s]}"`;
    paragraphs[b]!.splice(s, 1);
  }
  edit ??= editFirst(paragraphs, "broke a chain of whiles", breakWhileChain);
  for (const [pattern, shorter] of WORDY) {
    edit ??= editFirst(paragraphs, "tightened", (sentence) =>
      pattern.test(sentence) ? tighten(sentence, pattern, shorter) : undefined);
  }
  edit ??= editFirst(paragraphs, "cut a filler word", (sentence) => (FILLER.test(sentence) ? sentence.replace(FILLER, "") : undefined));
  if (edit === undefined) return { markdown };
  return { markdown: blocks.map((block, i) => paragraphs[i]?.join(" ") ?? block).join("\n\n"), edit };
}

export default defineAgent<PolisherOptions, string>({
  name: "PolisherAgent",
  expertise: "Copy-edits an article one edit per pass until nothing is left to change",
  async execute(intent, ctx) {
    const { markdown, edit } = polishOnce(intent.trim(), ctx.options?.redundancy ?? 0.7);
    ctx.log.info(edit === undefined ? "nothing left to change" : "edited", edit === undefined ? {} : { edit });
    if (edit !== undefined) await ctx.emit(edit);
    return markdown;
  },
});
