// Runs every benchmark in order and prints its tables as Markdown, each under the command that
// produced it and the machine. `npm run bench`; BENCH_QUICK=1 for a short run; BENCH_ONLY=stg,overhead
// to pick benchmarks. The soak test is separate (`npm run soak`).
import { benchOptions, type BenchOptions } from "./bench-options.js";
import { buildScale } from "./build-scale.js";
import { dataOnce } from "./data-once.js";
import { distributedScale } from "./distributed-scale.js";
import { fanOutBench } from "./fan-out.js";
import { firstStep } from "./first-step.js";
import { overhead } from "./overhead.js";
import { fixed, machineLine, printTables, commandLine, section, type Table } from "./report.js";
import { speedup } from "./speedup.js";
import { stateJournal } from "./state-journal.js";
import { stg } from "./stg.js";
import { unevenDagBench } from "./uneven-dag.js";

const BENCHMARKS: Record<string, (options: BenchOptions) => Promise<Table[]>> = {
  overhead,
  speedup,
  "uneven-dag": unevenDagBench,
  stg,
  "build-scale": buildScale,
  "data-once": dataOnce,
  "state-journal": stateJournal,
  "first-step": firstStep,
  "fan-out": fanOutBench,
  "distributed-scale": distributedScale,
};

const options = benchOptions();
const only = process.env.BENCH_ONLY?.split(",").map((s) => s.trim()).filter(Boolean);
const unknown = only?.filter((name) => !(name in BENCHMARKS)) ?? [];
if (unknown.length > 0) {
  console.error(`BENCH_ONLY names unknown benchmarks: ${unknown.join(", ")}; known: ${Object.keys(BENCHMARKS).join(", ")}`);
  process.exit(2);
}
console.log(`## wavepool benchmarks${options.quick ? " (quick run)" : ""}\n`);
console.log(`command: \`${commandLine()}\`  \nmachine: ${machineLine()}; ${options.threads} worker threads\n`);
const started = performance.now();
for (const [name, bench] of Object.entries(BENCHMARKS)) {
  if (only !== undefined && !only.includes(name)) continue;
  const t0 = performance.now();
  // A benchmark that cannot run says why in its place; the others still print.
  printTables(await section(name, () => bench(options)));
  console.error(`(${name}: ${fixed((performance.now() - t0) / 1000, 1)} s)`);
}
console.log(`_all benchmarks: ${fixed((performance.now() - started) / 1000, 1)} s_`);
