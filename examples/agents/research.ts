// ResearchAgent: finds the bundled document that best answers the intent (TF-IDF cosine), ranks its
// key terms, extracts its key sentences, and checks how stable each key term is by bootstrap
// resampling of the document's sentences. All of it is CPU work on a worker thread; no network.
import { defineAgent } from "wavepool/agent";
import { bootstrap } from "./bootstrap.js";
import { BUNDLED_DATA, cosine, displayForm, inverseDocumentFrequency, loadCorpus, PHRASE_BOOST, tfidf, type Doc, type Vector } from "./corpus.js";
import { sentenceTerms } from "./text.js";

/** Options given at `addAgent`. */
export type ResearchOptions = {
  /**
   * Folder of `.txt` documents, each opening with a `# Title` line.
   * @default the bundled examples/data (found from this module's place in dist/examples/agents)
   */
  dataDir?: string;
  /** Bootstrap resamples per run: the CPU-heavy part. @default 50000 */
  bootstrapRounds?: number;
};

export interface Keyword {
  term: string;
  /** TF-IDF weight in the document. */
  score: number;
  /** Share of bootstrap resamples in which the term stays among the document's top 20 terms. */
  stability: number;
}

/** What the agent returns: plain data, safe to clone to the main thread. */
export interface Research {
  topic: string;
  source: string;
  /** Cosine similarity between the intent and the chosen document. */
  match: number;
  summary: string;
  keyPoints: string[];
  keywords: Keyword[];
  /** The document's 40 best terms, unfiltered, for comparing documents. */
  terms: { term: string; score: number }[];
  stats: { documents: number; sentences: number; terms: number; bootstrapRounds: number };
}

/** A document's terms that occur at least twice, best first; two-word phrases count a little more. */
function rankTerms(doc: Doc, weights: Vector): [string, number][] {
  return [...weights]
    .filter(([term]) => (doc.counts.get(term) ?? 0) >= 2)
    .map(([term, weight]): [string, number] => [term, term.includes(" ") ? weight * PHRASE_BOOST : weight])
    .sort((a, b) => b[1] - a[1]);
}

/**
 * The top terms, skipping words the question or the title already names (they say nothing new)
 * and terms that share a word with a better one.
 */
function keyTerms(ranked: [string, number][], known: Set<string>, limit: number): { term: string; score: number }[] {
  const picked: { term: string; score: number }[] = [];
  const used = new Set(known);
  for (const [term, score] of ranked) {
    const parts = term.split(" ");
    if (parts.some((part) => [...used].some((word) => related(part, word)))) continue;
    for (const part of parts) used.add(part);
    picked.push({ term, score });
    if (picked.length === limit) break;
  }
  return picked;
}

/** Same word, or one a longer form of the other ("safe", "safety"; "compile", "compiler"). */
function related(a: string, b: string): boolean {
  return a === b || (a.length >= 4 && b.length >= 4 && (a.startsWith(b) || b.startsWith(a)));
}

/**
 * Picks key sentences greedily: each pick is the sentence that covers the most weight of key terms
 * not yet covered, plus its closeness to the intent, so the summary spans the topic without repeats.
 */
function keySentences(doc: Doc, keyTerms: Vector, intent: Vector, limit: number): number[] {
  const covered = new Set<string>();
  const closeness = doc.terms.map(({ terms }) => cosine(tfidf(new Map(terms.map((term) => [term, 1])), keyTerms), intent));
  const chosen: number[] = [];
  while (chosen.length < Math.min(limit, doc.sentences.length)) {
    let best = -1;
    let bestScore = -Infinity;
    doc.terms.forEach(({ terms }, i) => {
      if (chosen.includes(i)) return;
      let gain = 0;
      for (const term of new Set(terms)) if (!covered.has(term)) gain += keyTerms.get(term) ?? 0;
      // A sentence that opens by pointing back ("This rules out...") reads badly out of its context.
      const dangling = /^(?:This|These|It|They|Such|Together)\b/.test(doc.sentences[i]!) ? 0.5 : 1;
      const score = (gain / Math.pow(terms.length || 1, 0.3) + closeness[i]!) * dangling;
      if (score > bestScore) [best, bestScore] = [i, score];
    });
    for (const term of doc.terms[best]!.terms) covered.add(term);
    chosen.push(best);
  }
  return chosen.sort((a, b) => a - b);
}

export default defineAgent<ResearchOptions | undefined, Research>({
  name: "ResearchAgent",
  expertise: "Finds the bundled document that answers a question and extracts its key terms and sentences",
  async execute(intent, ctx) {
    const rounds = ctx.options?.bootstrapRounds ?? 50_000;
    const dataDir = ctx.options?.dataDir ?? BUNDLED_DATA;
    const docs = loadCorpus(dataDir);
    const idf = inverseDocumentFrequency(docs);
    const query = new Map(sentenceTerms(intent).terms.map((term) => [term, 1]));
    const queryVector = tfidf(query, idf);
    const matches = docs.map((doc) => ({ doc, match: cosine(queryVector, tfidf(doc.counts, idf)) })).sort((a, b) => b.match - a.match);
    const { doc, match } = matches[0] ?? { doc: undefined, match: 0 };
    if (doc === undefined) throw new Error(`no .txt documents in ${dataDir}`);
    ctx.log.info("document chosen", { file: doc.file, match: round3(match), documents: docs.length });
    await ctx.progress(0.1, `reading ${doc.file}`);

    const weights = tfidf(doc.counts, idf);
    const ranked = rankTerms(doc, weights);
    const known = new Set(sentenceTerms(`${intent} ${doc.title}`).terms.filter((term) => !term.includes(" ")));
    const terms = keyTerms(ranked, known, 8);
    const keyPoints = keySentences(doc, new Map(ranked.slice(0, 25)), queryVector, 4).map((i) => doc.sentences[i]!);
    await ctx.progress(0.2, `bootstrapping ${rounds} resamples`);

    const stability = await bootstrap(doc, idf, rounds, async (done) => {
      ctx.signal.throwIfAborted();
      await ctx.progress(0.2 + (0.8 * done) / rounds, `bootstrap ${done}/${rounds}`);
    });
    const keywords = terms.map(({ term, score }) => ({
      term: displayForm(doc, term),
      score: round3(score),
      stability: round3(stability.get(term) ?? 0),
    }));
    ctx.log.info("research done", { topic: doc.title, keywords: keywords.length });
    return {
      topic: doc.title,
      source: doc.file,
      match: round3(match),
      summary: keyPoints.join(" "),
      keyPoints,
      keywords,
      terms: ranked.slice(0, 40).map(([term, score]) => ({ term: displayForm(doc, term), score: round3(score) })),
      stats: { documents: docs.length, sentences: doc.sentences.length, terms: doc.counts.size, bootstrapRounds: rounds },
    };
  },
});

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
