// What every benchmark reads from the command line and the environment.
//   BENCH_QUICK=1 (or --quick)  fewer rounds and smaller sizes: a smoke run in well under a minute
//   BENCH_ROUNDS=n              rounds of each timed comparison (default 5 to 15 by benchmark, 1 to 5 quick)
//   BENCH_THREADS=n             worker threads (default 2: the machine these numbers are made for)
//   STG_DIR=path                where the Standard Task Graph Set is (default: the copy in benchmarks/stg)
export interface BenchOptions {
  quick: boolean;
  threads: number;
  /** Rounds for a benchmark: BENCH_ROUNDS if given, else `normal` (or `quick` in a quick run). */
  rounds(normal: number, quick: number): number;
}

export function benchOptions(): BenchOptions {
  const quick = process.argv.includes("--quick") || /^(1|true|yes)$/i.test(process.env.BENCH_QUICK ?? "");
  const threads = positive("BENCH_THREADS", 2);
  const given = process.env.BENCH_ROUNDS === undefined ? undefined : positive("BENCH_ROUNDS", 1);
  return { quick, threads, rounds: (normal, q) => given ?? (quick ? q : normal) };
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Expected ${name} to be an integer from 1 and up, got ${JSON.stringify(raw)}`);
  return n;
}
