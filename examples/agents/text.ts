// Plain-text helpers shared by the example agents: sentences, terms (words and two-word phrases),
// and syllable counts for readability scores. No dependencies, no I/O.

const STOPWORDS = new Set(
  ("a about after all also an and any are as at be because been before being between both but by can " +
    "cannot could did do does each either even ever every far few for from further go goes had has have " +
    "how however if in into is it its just last less long lot many may more most much must need needs no " +
    "nor not now of often on once one only or other our out over own same see should so some such than " +
    "that the their them then there these they this those through to too under up us very was way we well " +
    "were what when where whether which while who whole why will with within without would yet you your " +
    // Verbs and fillers that say little about a topic.
    "get gets give gives go make makes made run runs running take takes took together use uses used " +
    "write writes written outside inside ahead front back found explain explains large")
    .split(" "),
);

/** Splits a text into sentences at `.`, `!` or `?` followed by a capital letter. */
export function splitSentences(text: string): string[] {
  return text
    .replace(/\s+/g, " ")
    .split(/(?<=[.!?])\s+(?=[A-Z])/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence.length > 0);
}

/** The words of a text as written, hyphenated words kept whole (`use-after-free`), `'s` dropped. */
export function words(text: string): string[] {
  return (text.match(/[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*/g) ?? []).map((word) => word.replace(/'s$/i, ""));
}

/** Folds a word to the form terms are counted under: lower case, regular plurals made singular. */
export function normalise(word: string): string {
  const lower = word.toLowerCase();
  if (lower.length <= 3 || lower.includes("-")) return lower;
  if (lower.endsWith("ies")) return `${lower.slice(0, -3)}y`;
  if (/(?:ss|us|is)$/.test(lower) || !lower.endsWith("s")) return lower;
  return lower.slice(0, -1);
}

/** The terms of a sentence, and how each was written (for display). */
export interface SentenceTerms {
  /** Content words and two-word phrases of adjacent content words ("borrow checker"). */
  terms: string[];
  /** Each term's surface form in this sentence. */
  surfaces: Map<string, string>;
}

/** The content terms of a sentence: stop words are dropped and break phrases. */
export function sentenceTerms(sentence: string): SentenceTerms {
  const terms: string[] = [];
  const surfaces = new Map<string, string>();
  let previous: { term: string; surface: string } | undefined;
  for (const surface of words(sentence)) {
    const term = normalise(surface);
    if (STOPWORDS.has(term) || /^\d+$/.test(term)) {
      previous = undefined;
      continue;
    }
    terms.push(term);
    surfaces.set(term, surface);
    if (previous !== undefined) {
      const phrase = `${previous.term} ${term}`;
      terms.push(phrase);
      surfaces.set(phrase, `${previous.surface} ${surface}`);
    }
    previous = { term, surface };
  }
  return { terms, surfaces };
}

/** Counts the syllables of an English word by its vowel groups (the usual readability heuristic). */
export function syllables(word: string): number {
  const lower = word.toLowerCase().replace(/[^a-z]/g, "");
  if (lower.length <= 3) return 1;
  const trimmed = lower.replace(/(?:[^laeiouy]es|ed|[^laeiouy]e)$/, "").replace(/^y/, "");
  return Math.max(1, trimmed.match(/[aeiouy]{1,2}/g)?.length ?? 1);
}

/** A small deterministic PRNG (mulberry32), so that every run of the example computes the same. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit FNV-1a hash of a string, used as a seed. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
