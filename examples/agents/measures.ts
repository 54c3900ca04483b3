// Measures of prose shared by the writer, the reviewer and the reviser: which terms a text
// mentions, how hard it is to read, and which parts of a Markdown article are prose.
import { splitSentences, syllables, words } from "./text.js";

/** Whether `text` mentions `term` (whole words, any case, a plural counts). */
export function mentions(text: string, term: string): boolean {
  return new RegExp(`\\b${term.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?:s|es)?\\b`, "i").test(text);
}

/** Flesch reading ease and Flesch-Kincaid grade of some prose. */
export function readability(prose: string): { readingEase: number; grade: number; words: number } {
  const sentenceCount = Math.max(1, splitSentences(prose).length);
  const all = words(prose);
  const wordCount = Math.max(1, all.length);
  const syllableCount = all.reduce((sum, word) => sum + syllables(word), 0);
  const perSentence = wordCount / sentenceCount;
  const perWord = syllableCount / wordCount;
  return {
    readingEase: Math.round((206.835 - 1.015 * perSentence - 84.6 * perWord) * 10) / 10,
    grade: Math.round((0.39 * perSentence + 11.8 * perWord - 15.59) * 10) / 10,
    words: all.length,
  };
}

/** A paragraph a reader reads as text: not a heading, not a list, not an italic `_Key terms: ..._` line. */
export function isProse(block: string): boolean {
  return !/^(#|[-*] |\d+\. |_)/.test(block.trim());
}

/** The blocks of a Markdown text, split at blank lines. */
export function blocksOf(markdown: string): string[] {
  return markdown.trim().split(/\n\s*\n/);
}

/** The prose of a Markdown article, its paragraphs joined. */
export function proseOf(markdown: string): string {
  return blocksOf(markdown).filter(isProse).join(" ");
}
