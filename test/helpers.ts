// Shared test helpers: fixture URLs and small strategy builders. No mocks: real agents, real threads.
import { cp, mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { StrategyMap, StrategyStep, type StrategyStepOptions } from "wavepool";

/** URL of a compiled fixture agent (test/fixtures/agents/<name>.ts -> dist/test/fixtures/agents/<name>.js). */
export function agent(name: string): URL {
  return new URL(`./fixtures/agents/${name}.js`, import.meta.url);
}

/** URL of a compiled broken module (test/fixtures/broken). */
export function broken(name: string): URL {
  return new URL(`./fixtures/broken/${name}.js`, import.meta.url);
}

/** [id, agent, intent, output?, options?] rows to a strategy; output defaults to `${id}_out`. */
export function strategyOf(
  ...rows: [id: string, agentName: string, intent: string, output?: string, options?: StrategyStepOptions][]
): StrategyMap {
  const map = new StrategyMap("test");
  for (const [id, agentName, intent, output, options] of rows) {
    map.addStep(new StrategyStep(id, `step ${id}`, agentName, intent, output ?? `${id}_out`, options));
  }
  return map;
}

/** A shared Int32Array cell agents bump when they start (see fixtures/agents/spin.ts). */
export function startCell(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Resolves once the cell reaches at least `count` (Atomics.waitAsync: no sleeps, no polling). */
export async function waitForCell(cell: Int32Array, count = 1): Promise<void> {
  for (let seen = Atomics.load(cell, 0); seen < count; seen = Atomics.load(cell, 0)) {
    const wait = Atomics.waitAsync(cell, 0, seen, 10_000);
    if (wait.async) await wait.value;
  }
}

/** The source tree's fixtures/mistakes: agent modules with a newcomer's mistakes, never compiled. */
export const MISTAKES = fileURLToPath(new URL("../../test/fixtures/mistakes/", import.meta.url));

/**
 * A newcomer's project in `dir`: fixtures/mistakes/cjs-package (a package.json as `npm init -y`
 * writes it, an ES module agent.js) with wavepool installed in its node_modules, so that Node
 * versions that detect module syntax would load the agent, with a warning from every thread.
 * Resolves with the agent's path.
 */
export async function commonJsProject(dir: string): Promise<string> {
  await cp(join(MISTAKES, "cjs-package"), dir, { recursive: true });
  await mkdir(join(dir, "node_modules"), { recursive: true });
  await symlink(fileURLToPath(new URL("../../", import.meta.url)), join(dir, "node_modules", "wavepool"), "junction");
  return join(dir, "agent.js");
}
