// Data passed once: one producer's output (a string, a Uint8Array, an array of objects; 10 MB and
// 40 MB serialised) read by 4 dependents through `ctx.inputs`. A hop is the time from the producer's
// agent returning to the last dependent holding the value; its floor is one bare `structuredClone` of
// the value on the main thread, measured in the same rounds.
// Run: npm run build && node dist/benchmarks/data-once.js [--baseline DIR]
// DIR is another built checkout of wavepool (say a worktree of main, `npm run build` done there):
// its orchestrator runs in this process beside this one's, rounds interleaved.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as current from "wavepool";
import { benchOptions, type BenchOptions } from "./bench-options.js";
import { makeValue, sizeOf, SHAPES, type Shape } from "./data-shapes.js";
import { fixed, isMain, printTables, type Table } from "./report.js";
import { interleave, median } from "./stats.js";

type Api = typeof current;
type Orchestrator = InstanceType<Api["ParallelOrchestrator"]>;

const DEPENDENTS = 4;
const MB = 1024 * 1024;
const PRODUCER = new URL("./agents/data-producer.js", import.meta.url);
const READER = new URL("./agents/data-reader.js", import.meta.url);

/** A producer whose output `data` every one of DEPENDENTS readers reads (its size in their intent). */
function orchestrator(api: Api): Orchestrator {
  const strategy = new api.StrategyMap("data passed once");
  strategy.addStep(new api.StrategyStep("make", "make the data", "Producer", "{{ shape }} {{ bytes }}", "data"));
  for (let i = 0; i < DEPENDENTS; i++) {
    strategy.addStep(new api.StrategyStep(`read${i}`, "read the data", "Reader", "{{ data | size }} items", `read${i}`));
  }
  // One thread per dependent: all of them are handed the value at once.
  const config = new api.ParallelOrchestratorConfig().withThreads(DEPENDENTS);
  return new api.ParallelOrchestrator(strategy, config).addAgent("Producer", PRODUCER).addAgent("Reader", READER);
}

/** What one run measured: ms from the producer's end to the last reader holding the value, and ms the main thread was busy. */
interface Hop { ms: number; mainMs: number }

/** One run; throws unless every reader got a value of the expected size. */
async function hop(o: Orchestrator, shape: Shape, bytes: number, size: number): Promise<Hop> {
  const elu = performance.eventLoopUtilization();
  const result = await o.execute("data passed once", { inputs: { shape, bytes } });
  const mainMs = performance.eventLoopUtilization(elu).active;
  if (!result.success) throw new Error(`the run failed: ${JSON.stringify(result.steps.find((s) => s.status !== "completed")?.error)}`);
  const made = result.steps.find((s) => s.stepId === "make")!.endedAt!;
  let last = 0;
  for (let i = 0; i < DEPENDENTS; i++) {
    const read = result.context.get(`read${i}`) as { readyAt: number; size: number };
    if (read.size !== size) throw new Error(`reader ${i} got a value of size ${read.size}, not ${size}`);
    last = Math.max(last, read.readyAt);
  }
  return { ms: last - made, mainMs };
}

async function baselineApi(): Promise<Api | undefined> {
  const at = process.argv.indexOf("--baseline");
  if (at < 0) return undefined;
  const dir = process.argv[at + 1];
  if (dir === undefined) throw new TypeError("Expected a directory after --baseline (a built checkout of wavepool)");
  return (await import(pathToFileURL(resolve(dir, "dist/src/index.js")).href)) as Api;
}

export async function dataOnce(options: BenchOptions = benchOptions()): Promise<Table[]> {
  const rounds = options.rounds(5, 1);
  const sizes = options.quick ? [10] : [10, 40];
  const before = await baselineApi();
  const after = orchestrator(current);
  const old = before === undefined ? undefined : orchestrator(before);
  const rows: Record<string, string>[] = [];
  try {
    for (const mb of sizes) {
      for (const shape of SHAPES) {
        const bytes = mb * MB;
        const value = makeValue(shape, bytes);
        const size = sizeOf(value);
        const mainMs: Record<string, number[]> = { before: [], after: [] };
        const timed = (o: Orchestrator, k: string) => async () => {
          const { ms, mainMs: busy } = await hop(o, shape, bytes, size);
          mainMs[k]!.push(busy);
          return ms;
        };
        const variants: Record<string, () => Promise<number>> = {
          floor: async () => {
            const t0 = performance.now();
            structuredClone(value);
            return performance.now() - t0;
          },
          after: timed(after, "after"),
          ...(old === undefined ? {} : { before: timed(old, "before") }),
        };
        await interleave(1, variants); // warm-up: threads started, agents loaded, JIT done
        mainMs.before = [];
        mainMs.after = [];
        const samples = await interleave(rounds, variants);
        const floor = median(samples.floor!);
        const ms = (k: string) => (samples[k] === undefined ? NaN : median(samples[k]));
        rows.push({
          output: `${shape}, ${mb} MB`,
          floor: fixed(floor, 1),
          before: fixed(ms("before"), 1),
          after: fixed(ms("after"), 1),
          beforeRatio: fixed(ms("before") / floor, 1),
          afterRatio: fixed(ms("after") / floor, 1),
          gain: fixed(ms("before") / ms("after"), 1),
          mainBefore: fixed(median(mainMs.before!), 0),
          mainAfter: fixed(median(mainMs.after!), 0),
        });
      }
    }
  } finally {
    await Promise.all([after.close(), old?.close()]);
  }
  return [{
    title: `Data passed once: one output read by ${DEPENDENTS} dependents, ms per hop, median of ${rounds} interleaved rounds`,
    columns: [
      { key: "output", label: "output" },
      { key: "floor", label: "structuredClone (floor), ms", align: "right" },
      { key: "before", label: "before, ms/hop", align: "right" },
      { key: "after", label: "after, ms/hop", align: "right" },
      { key: "beforeRatio", label: "before × floor", align: "right" },
      { key: "afterRatio", label: "after × floor", align: "right" },
      { key: "gain", label: "before ÷ after", align: "right" },
      { key: "mainBefore", label: "main thread busy, before, ms/run", align: "right" },
      { key: "mainAfter", label: "main thread busy, after, ms/run", align: "right" },
    ],
    rows,
    notes: [
      `A hop: from the producer's agent returning to the last of ${DEPENDENTS} dependents (one thread each) holding the value in \`ctx.inputs\`; ` +
        "its floor is one bare `structuredClone` of the value on the main thread, in the same rounds. " +
        "Main thread busy: its event loop's active time over the whole run (the one thread every run shares).",
      old === undefined ? "\"before\" is empty: pass `--baseline DIR`, a built checkout of the code to compare with." : "\"before\": the checkout given as `--baseline`, run in this process beside this one.",
    ],
  }];
}

if (isMain(import.meta.url)) printTables(await dataOnce());
