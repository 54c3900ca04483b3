// PlannerAgent: lists the subtopics of a task, the bundled documents that speak to it, by the TF-IDF
// cosine between the task and each document. Its `topics` are what a `forEach` step fans out over;
// a task the corpus says nothing about gives `[]`, which a `terminate` guard can end the run on.
import { defineAgent } from "wavepool/agent";
import { BUNDLED_DATA, cosine, displayForm, inverseDocumentFrequency, loadCorpus, tfidf } from "./corpus.js";
import { sentenceTerms } from "./text.js";

/** Options given at `addAgent` (or in the strategy file). */
export type PlannerOptions = {
  /** Folder of `.txt` documents, each opening with a `# Title` line. @default the bundled examples/data */
  dataDir?: string;
  /** The least cosine similarity between task and document that makes the document a topic. @default 0.05 */
  minRelevance?: number;
  /** At most this many topics, the most relevant first. @default 4 */
  maxTopics?: number;
} | undefined;

export interface Topic {
  /** The document's title, which is what a researcher is asked about ("Research {{ item.title }}"). */
  title: string;
  source: string;
  /** Cosine similarity between the task and the document. */
  relevance: number;
  /** The words of the task the document shares, heaviest first: why it was picked. */
  matched: string[];
}

export interface Plan {
  topics: Topic[];
  /** Every document scored, for the record: `file: relevance`. */
  scores: Record<string, number>;
}

export default defineAgent<PlannerOptions, Plan>({
  name: "PlannerAgent",
  expertise: "Lists the documents of the bundled corpus that a task should draw on",
  execute(intent, ctx) {
    const minRelevance = ctx.options?.minRelevance ?? 0.05;
    const maxTopics = ctx.options?.maxTopics ?? 4;
    const docs = loadCorpus(ctx.options?.dataDir ?? BUNDLED_DATA);
    const idf = inverseDocumentFrequency(docs);
    const query = tfidf(new Map(sentenceTerms(intent).terms.map((term) => [term, 1])), idf);
    const scored = docs
      .map((doc) => ({ doc, relevance: round3(cosine(query, tfidf(doc.counts, idf))) }))
      .sort((a, b) => b.relevance - a.relevance);
    const topics = scored
      .filter(({ relevance }) => relevance >= minRelevance)
      .slice(0, maxTopics)
      .map(({ doc, relevance }): Topic => ({
        title: doc.title,
        source: doc.file,
        relevance,
        matched: [...query]
          .filter(([term]) => doc.counts.has(term))
          .sort((a, b) => b[1] - a[1])
          .map(([term]) => displayForm(doc, term)),
      }));
    ctx.log.info("planned", { topics: topics.map((t) => t.title), documents: docs.length, minRelevance });
    return { topics, scores: Object.fromEntries(scored.map(({ doc, relevance }) => [doc.file, relevance])) };
  },
});

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
