// The bundled corpus as the research agent sees it: documents split into sentences and terms,
// with TF-IDF weights to compare them.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sentenceTerms, splitSentences, type SentenceTerms } from "./text.js";

export interface Doc {
  file: string;
  title: string;
  sentences: string[];
  terms: SentenceTerms[];
  counts: Map<string, number>;
}

export type Vector = Map<string, number>;

/**
 * The bundled examples/data, found from this module's place in dist/examples/agents: tsc does not
 * copy data files to dist/, so the corpus is read from the source tree.
 */
export const BUNDLED_DATA = fileURLToPath(new URL("../../../examples/data/", import.meta.url));

/** Two-word phrases say more than single words, so they weigh a little more. */
export const PHRASE_BOOST = 1.5;

/** Reads every `.txt` file of a folder; the first line of each is its `# Title`. */
export function loadCorpus(dir: string): Doc[] {
  if (!existsSync(dir)) {
    throw new Error(`corpus folder ${dir} does not exist; the example reads examples/data from the source checkout`);
  }
  return readdirSync(dir).filter((file) => file.endsWith(".txt")).sort().map((file) => {
    const [head = "", ...body] = readFileSync(join(dir, file), "utf8").split("\n");
    const sentences = splitSentences(body.join("\n"));
    const terms = sentences.map(sentenceTerms);
    const counts = new Map<string, number>();
    for (const { terms: list } of terms) for (const term of list) counts.set(term, (counts.get(term) ?? 0) + 1);
    return { file, title: head.replace(/^#\s*/, "").trim(), sentences, terms, counts };
  });
}

export function inverseDocumentFrequency(docs: Doc[]): Vector {
  const df = new Map<string, number>();
  for (const doc of docs) for (const term of doc.counts.keys()) df.set(term, (df.get(term) ?? 0) + 1);
  return new Map([...df].map(([term, n]) => [term, Math.log((1 + docs.length) / (1 + n)) + 1]));
}

/** Sublinear TF-IDF weights, scaled to unit length. */
export function tfidf(counts: Map<string, number>, idf: Vector): Vector {
  const weights: Vector = new Map();
  for (const [term, count] of counts) weights.set(term, (1 + Math.log(count)) * (idf.get(term) ?? 1));
  const norm = Math.hypot(...weights.values()) || 1;
  for (const [term, weight] of weights) weights.set(term, weight / norm);
  return weights;
}

export function cosine(a: Vector, b: Vector): number {
  let dot = 0;
  for (const [term, weight] of a) dot += weight * (b.get(term) ?? 0);
  return dot;
}

/** How a term is written in the document, lower case unless it is always capitalised (Rust, WebAssembly). */
export function displayForm(doc: Doc, term: string): string {
  const forms = doc.terms.map(({ surfaces }) => surfaces.get(term)).filter((form) => form !== undefined);
  return forms.find((form) => form === form.toLowerCase()) ?? forms[0] ?? term;
}
