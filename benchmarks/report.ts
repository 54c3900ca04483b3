// Markdown tables for the benchmarks: each printed under the command that produced it and the
// machine it ran on, so that a number pasted into the README says where it came from.
import { availableParallelism, cpus, loadavg, platform, arch } from "node:os";
import { relative } from "node:path";
import { pathToFileURL } from "node:url";

export type Cell = string | number;

export interface Column {
  key: string;
  label: string;
  /** Numbers are right-aligned by default. */
  align?: "left" | "right";
}

/** One benchmark table: what a benchmark function returns, ready to print. */
export interface Table {
  title: string;
  columns: Column[];
  rows: Record<string, Cell>[];
  /** Lines printed under the table: targets, what the columns mean, caveats. */
  notes?: string[];
  /** Why this section could not run: printed instead of the table. */
  skipped?: string;
}

/**
 * Runs one section of a benchmark. One that cannot run (data not found, a thread count without a
 * known optimum, a crash) becomes a table that says why, so that the other sections still print.
 */
export async function section(title: string, run: () => Table[] | Promise<Table[]>): Promise<Table[]> {
  try {
    return await run();
  } catch (error) {
    return [notRun(title, error)];
  }
}

/** The table that stands for a section that could not run, with the error that stopped it. */
export function notRun(title: string, error: unknown): Table {
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
  return { title, columns: [], rows: [], skipped: `${error instanceof Error ? error.message : String(error)}${cause}` };
}

/** Environment variables that change what the benchmarks do; echoed in the command line. */
const ENV_KEYS = ["BENCH_QUICK", "BENCH_ROUNDS", "BENCH_THREADS", "BENCH_ONLY", "STG_DIR", "WAVEPOOL_LOG_LEVEL"];

/** The command that is running now, as someone would type it again. */
export function commandLine(): string {
  const env = ENV_KEYS.filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]}`);
  const script = process.argv[1] ? relative(process.cwd(), process.argv[1]) : "?";
  const node = ["node", ...process.execArgv, script, ...process.argv.slice(2)].join(" ");
  const npm = process.env.npm_lifecycle_event === "bench" ? "npm run bench → " : "";
  return `${npm}${[...env, node].join(" ")}`;
}

/** Cores, CPU model, Node version and the load average when the table was made (a noisy machine shows here). */
export function machineLine(): string {
  const model = cpus()[0]?.model.trim() ?? "unknown CPU";
  const load = loadavg().map((l) => l.toFixed(2)).join(" ");
  return `${availableParallelism()} cores (${model}), node ${process.version}, ${platform()} ${arch()}, load avg ${load}`;
}

/** A number with a fixed count of decimals; NaN and infinities print as "–". */
export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

export function formatTable(table: Table, command = commandLine()): string {
  if (table.skipped !== undefined) return `### ${table.title}\n\n**Not run:** ${table.skipped}`;
  const lines = [`### ${table.title}`, "", `command: \`${command}\`  `, `machine: ${machineLine()}`, ""];
  const right = table.columns.map((c, i) => c.align === "right" || (c.align === undefined && table.rows.some((r) => typeof r[c.key] === "number") && i > 0));
  lines.push(`| ${table.columns.map((c) => c.label).join(" | ")} |`);
  lines.push(`| ${right.map((r) => (r ? "---:" : "---")).join(" | ")} |`);
  for (const row of table.rows) lines.push(`| ${table.columns.map((c) => String(row[c.key] ?? "")).join(" | ")} |`);
  if (table.notes?.length) lines.push("", ...table.notes);
  return lines.join("\n");
}

export function printTables(tables: Table[]): void {
  for (const table of tables) console.log(`${formatTable(table)}\n`);
}

/** True when `moduleUrl` is the script node was started with (a benchmark run on its own). */
export function isMain(moduleUrl: string): boolean {
  return process.argv[1] !== undefined && moduleUrl === pathToFileURL(process.argv[1]).href;
}
