// Durable state at scale: runs of 600 and 1200 independent steps, each returning 256 KiB, with
// `saveStateTo` against the same run unsaved, same orchestrator, interleaved rounds in one process;
// and the longest the main thread's event loop was held up during each kind of run.
// Run: npm run build && node dist/benchmarks/state-journal.js
import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { ParallelOrchestrator, ParallelOrchestratorConfig, readStateFile, StrategyMap, StrategyStep } from "wavepool";
import { benchOptions, type BenchOptions } from "./bench-options.js";
import { fixed, isMain, printTables, type Table } from "./report.js";
import { interleave, median, worst } from "./stats.js";

const BYTES_AGENT = new URL("./agents/bytes.js", import.meta.url);
const OUTPUT_BYTES = 256 * 1024;

/** `n` independent steps of the bytes agent. */
function independentBlocks(n: number): StrategyMap {
  const strategy = new StrategyMap(`${n} independent steps of ${OUTPUT_BYTES / 1024} KiB each`);
  for (let i = 0; i < n; i++) strategy.addStep(new StrategyStep(`s${i}`, "", "Bytes", "x", `out${i}`));
  return strategy;
}

interface Sample {
  ms: number;
  /** CPU time of the whole process (every thread, user and system), ms. */
  cpuMs: number;
  /** The longest event-loop delay seen during the run, ms. */
  stallMs: number;
}

/** One run, timed, with the event loop watched at 1 ms resolution; throws if a step did not complete. */
async function timed(orchestrator: ParallelOrchestrator, saveStateTo?: string): Promise<Sample> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  if (saveStateTo !== undefined) await rm(saveStateTo, { force: true });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await orchestrator.execute("bench", saveStateTo === undefined ? {} : { saveStateTo });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  delay.disable();
  if (!result.success || result.stateError !== undefined) {
    throw new Error(`the benchmark run failed: ${result.stateError?.message ?? JSON.stringify(result.steps.find((s) => s.status !== "completed"))}`);
  }
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, stallMs: delay.max / 1e6 };
}

/** The floor of saving: the same bytes written to a file in 1 MiB writes, on the main thread, with no run. */
async function bytesAlone(file: string, steps: number): Promise<number> {
  const chunk = Buffer.alloc(1 << 20, 7);
  const t0 = performance.now();
  const handle = await open(file, "w");
  try {
    for (let left = steps * OUTPUT_BYTES; left > 0; left -= chunk.length) await handle.write(chunk, 0, Math.min(left, chunk.length));
  } finally {
    await handle.close();
  }
  return performance.now() - t0;
}

type Variant = "unsaved" | "saved" | "synced";
const VARIANTS: readonly Variant[] = ["unsaved", "saved", "synced"];

export async function stateJournal(options: BenchOptions = benchOptions()): Promise<Table[]> {
  const sizes = options.quick ? [600] : [600, 1200];
  const rounds = options.rounds(5, 1);
  const dir = await mkdtemp(join(tmpdir(), "wavepool-bench-state-"));
  const rows: Record<string, string>[] = [];
  try {
    for (const steps of sizes) {
      const file = join(dir, `run-${steps}.state`);
      const make = (config: ParallelOrchestratorConfig) => new ParallelOrchestrator(independentBlocks(steps), config.withThreads(options.threads))
        .addAgent("Bytes", { module: BYTES_AGENT, options: { bytes: OUTPUT_BYTES } });
      const plain = make(new ParallelOrchestratorConfig());
      const syncing = make(new ParallelOrchestratorConfig().withStateSync(SYNC_MS));
      try {
        const stalls: Record<Variant, number[]> = { unsaved: [], saved: [], synced: [] };
        const cpu: Record<Variant, number[]> = { unsaved: [], saved: [], synced: [] };
        const floor: number[] = [];
        const variant = (key: Variant) => async (): Promise<number> => {
          const sample = await timed(key === "synced" ? syncing : plain, key === "unsaved" ? undefined : file);
          stalls[key].push(sample.stallMs);
          cpu[key].push(sample.cpuMs);
          return sample.ms;
        };
        const all = () => ({
          unsaved: variant("unsaved"), saved: variant("saved"), synced: variant("synced"),
          bytes: async () => {
            const ms = await bytesAlone(join(dir, "bytes"), steps);
            floor.push(ms);
            return ms;
          },
        });
        await interleave(1, all()); // warm-up
        for (const key of VARIANTS) stalls[key].length = cpu[key].length = 0;
        floor.length = 0;
        const samples = await interleave(rounds, all());
        await timed(plain, file);
        const size = (await stat(file)).size;
        const t0 = performance.now();
        const state = await readStateFile(file);
        const readMs = performance.now() - t0;
        if (state.outputs.size !== steps) throw new Error(`the state file holds ${state.outputs.size} outputs, not ${steps}`);
        const unsaved = median(samples.unsaved);
        const saved = median(samples.saved);
        const synced = median(samples.synced);
        rows.push({
          steps: String(steps),
          unsaved: fixed(unsaved, 0),
          saved: `${fixed(saved, 0)} (${fixed(saved / unsaved, 2)}×)`,
          synced: `${fixed(synced, 0)} (${fixed(synced / unsaved, 2)}×)`,
          floor: `${fixed(median(floor), 0)} (${fixed((unsaved + median(floor)) / unsaved, 2)}×)`,
          cpu: VARIANTS.map((key) => fixed(median(cpu[key]), 0)).join(" / "),
          stalls: VARIANTS.map((key) => fixed(worst(stalls[key]), 0)).join(" / "),
          size: fixed(size / 2 ** 20, 0),
          read: fixed(readMs, 0),
        });
      } finally {
        await plain.close();
        await syncing.close();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return [{
    title: `Durable state: independent steps of ${OUTPUT_BYTES / 1024} KiB outputs, saveStateTo vs unsaved, ${options.threads} threads, median of ${rounds} interleaved rounds`,
    columns: [
      { key: "steps", label: "steps", align: "right" },
      { key: "unsaved", label: "unsaved ms", align: "right" },
      { key: "saved", label: "saveStateTo ms", align: "right" },
      { key: "synced", label: `+ withStateSync(${SYNC_MS}) ms`, align: "right" },
      { key: "floor", label: "bytes alone to a file ms (unsaved + it)", align: "right" },
      { key: "cpu", label: "CPU ms unsaved / saved / synced", align: "right" },
      { key: "stalls", label: "max stall ms unsaved / saved / synced", align: "right" },
      { key: "size", label: "state file MiB", align: "right" },
      { key: "read", label: "readStateFile ms", align: "right" },
    ],
    rows,
    notes: [
      "Target: saved ≤ 1.2× unsaved (bar 1.5×), no event-loop stall over 100 ms (bar 250 ms).",
      "The floor is what the bytes cost alone: the same number of bytes written to a file from the main thread with no run; `unsaved + it` is what a run that saves them could cost if the write overlapped nothing.",
      `\`withStateSync(${SYNC_MS})\` syncs the file in the background at most every ${SYNC_MS} ms and once before the run resolves: the run then waits for the disk.`,
      "Each round runs every variant (order rotated); one warm-up round is not counted. A stall is the longest event-loop delay during a run (`monitorEventLoopDelay`, 1 ms resolution), the worst over the rounds.",
      "CPU is the process's (every thread, user + system), median over the rounds: on a shared machine it moves less than the wall time.",
    ],
  }];
}

const SYNC_MS = 100;

if (isMain(import.meta.url)) printTables(await stateJournal());
