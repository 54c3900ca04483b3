// Loads a dependency on first use. `import "wavepool"` also happens inside every worker thread
// (agents import defineAgent from it), where winston, liquidjs and piscina are never used: loaded
// eagerly they cost each new thread ~130 ms before its first step. They are CommonJS packages,
// so `require` gives the same module the static import would.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** `require(id)`, typed by the caller (`typeof import("winston")`). */
export function lazyRequire<T>(id: string): T {
  return require(id) as T;
}
