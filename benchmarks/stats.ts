// Summaries of repeated measurements. On a shared machine the median says what is typical and
// the best says what the code can do when nothing else runs.
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function best(values: readonly number[]): number {
  return values.length === 0 ? NaN : Math.min(...values);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

export function worst(values: readonly number[]): number {
  return values.length === 0 ? NaN : Math.max(...values);
}

/** Runs every variant once per round, in an order that rotates each round, so drift hits all alike. */
export async function interleave<K extends string>(
  rounds: number,
  variants: Record<K, () => Promise<number>>,
): Promise<Record<K, number[]>> {
  const keys = Object.keys(variants) as K[];
  const samples = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < keys.length; j++) {
      const key = keys[(r + j) % keys.length]!;
      samples[key].push(await variants[key]());
    }
  }
  return samples;
}
