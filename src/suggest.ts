// "Did you mean ...?" for a name a user typed that is not one we know: a strategy key, an agent,
// an input, a file next to the one that is missing, a command-line flag.
import { distance } from "fastest-levenshtein";

/**
 * The candidate closest to `word`, or undefined when none is close enough to be the one meant.
 * Case, `_`, `-` and spaces are ignored first, so `depends_on`, `DependsOn` and `depends-on` all
 * find `dependsOn`; beyond that, up to one edit per three characters of the longer of the two is
 * allowed (at most three, and fewer than the word's length, so that `a` does not suggest `b`).
 * The closest wins, ties going to the first candidate. A candidate equal to `word` is never suggested.
 * @example
 * didYouMean("depends_on", ["id", "dependsOn"]); // "dependsOn"
 * didYouMean("Writr", ["Writer", "Researcher"]); // "Writer"
 * didYouMean("zzz", ["Writer"]);                 // undefined
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const folded = fold(word);
  if (folded === "") return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const other = fold(candidate);
    const allowed = Math.min(3, Math.ceil(Math.max(folded.length, other.length) / 3), folded.length - 1);
    const d = distance(folded, other);
    if (d <= allowed && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** `word` with case, `_`, `-` and whitespace folded away: how far apart two spellings of one name are not. */
function fold(word: string): string {
  return word.toLowerCase().replace(/[\s_-]+/g, "");
}
