// Bootstrap resampling of a document's sentences: how stable is each term's rank? The hot loop
// works on typed arrays of term ids, and is the CPU-heavy part of the research agent.
import { PHRASE_BOOST, type Doc, type Vector } from "./corpus.js";
import { hashString, seededRandom } from "./text.js";

/** A term is "stable" in a resample when it ranks among this many top terms. */
export const TOP_TERMS = 20;

/**
 * Resamples the document's sentences with replacement `rounds` times and counts how often each
 * term ranks among the top terms of the resample: a key term that only one sentence carries is fragile.
 */
export async function bootstrap(
  doc: Doc, idf: Vector, rounds: number, onChunk: (done: number) => Promise<void>,
): Promise<Map<string, number>> {
  const vocabulary = [...doc.counts.keys()];
  const ids = new Map(vocabulary.map((term, id) => [term, id]));
  const sentenceIds = doc.terms.map(({ terms }) => Int32Array.from(terms, (term) => ids.get(term)!));
  const weight = Float64Array.from(vocabulary, (term) => (idf.get(term) ?? 1) * (term.includes(" ") ? PHRASE_BOOST : 1));
  const logs = Float64Array.from({ length: 64 }, (_, n) => 1 + Math.log(Math.max(n, 1)));
  const counts = new Int32Array(vocabulary.length);
  const touched = new Int32Array(vocabulary.length);
  const hits = new Float64Array(vocabulary.length);
  const top = new Int32Array(TOP_TERMS);
  const topScore = new Float64Array(TOP_TERMS);
  const random = seededRandom(hashString(doc.file));
  const n = sentenceIds.length;
  const chunk = Math.ceil(rounds / 10);
  for (let round = 0; round < rounds; round++) {
    let touchedCount = 0;
    for (let s = 0; s < n; s++) {
      for (const id of sentenceIds[Math.floor(random() * n)]!) if ((counts[id] = counts[id]! + 1) === 1) touched[touchedCount++] = id;
    }
    topScore.fill(-1);
    for (let t = 0; t < touchedCount; t++) {
      const id = touched[t]!;
      const count = counts[id]!;
      counts[id] = 0;
      if (count < 2) continue;
      const score = logs[Math.min(count, 63)]! * weight[id]!;
      if (score <= topScore[TOP_TERMS - 1]!) continue;
      let at = TOP_TERMS - 1;
      for (; at > 0 && topScore[at - 1]! < score; at--) [top[at], topScore[at]] = [top[at - 1]!, topScore[at - 1]!];
      [top[at], topScore[at]] = [id, score];
    }
    for (let k = 0; k < TOP_TERMS; k++) if (topScore[k]! >= 0) hits[top[k]!]!++;
    if ((round + 1) % chunk === 0) await onChunk(round + 1);
  }
  return new Map(vocabulary.map((term, id) => [term, hits[id]! / rounds]));
}
