// Did-you-mean suggestions for names people mistype: strategy keys, agent names, CLI flags.
import { closest, distance } from "fastest-levenshtein";
/** The candidate closest to `word` when it is close enough to be what was meant, else undefined. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const list = [...candidates];
  if (list.length === 0) return undefined;
  const norm = (s: string): string => s.toLowerCase().replace(/[-_\s]/g, "");
  const same = list.find((c) => norm(c) === norm(word));
  if (same !== undefined) return same;
  const best = closest(word, list);
  return distance(word, best) <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}
