// The package as a user gets it: `npm pack`, installed from the tarball into a fresh CommonJS
// project (`npm init -y`), imported, type-checked with tsc, running an agent of its own, and the
// `wavepool` command through npx. What this tests is `exports`, `types`, `bin` and `files`.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
let project = "";

before(async () => {
  const dir = await mkdtemp(join(tmpdir(), "wavepool-package-"));
  project = join(dir, "consumer");
  // The build is already in dist (npm test builds first): pack it as it is, without prepack.
  execFileSync("npm", ["pack", "--ignore-scripts", "--pack-destination", dir], { cwd: root, stdio: "pipe" });
  const tarball = (await readdir(dir)).find((f) => f.endsWith(".tgz"))!;
  execFileSync("mkdir", [project]);
  execFileSync("npm", ["init", "-y"], { cwd: project, stdio: "pipe" });
  // A TypeScript consumer of a Node library has Node's types; the version we build against.
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", join(dir, tarball), "@types/node@20"], { cwd: project, stdio: "pipe" });
}, { timeout: 120_000 });

after(async () => {
  if (project !== "") await rm(join(project, ".."), { recursive: true, force: true });
});

test("the tarball ships the build, its sources for the source maps, and the licence, and no stale files", async () => {
  const files = await readdir(join(project, "node_modules", "wavepool"), { recursive: true });
  for (const file of ["dist/src/index.js", "dist/src/index.d.ts", "dist/src/agent.js", "dist/workers/step.js", "src/index.ts", "LICENSE", "README.md"]) {
    assert.ok(files.includes(file), `${file} is missing from the package`);
  }
  assert.ok(!files.some((f) => f.startsWith("dist/test") || f.startsWith("dist/benchmarks")), "tests and benchmarks are not shipped");
  // OpenTelemetry is an optional peer: a program that does not trace does not get it.
  await assert.rejects(readdir(join(project, "node_modules", "@opentelemetry", "api")), { code: "ENOENT" });
});

test("a CommonJS project runs a workflow with an agent of its own, importing wavepool and wavepool/agent", async () => {
  await writeFile(join(project, "agent.mjs"), `import { defineAgent } from "wavepool/agent";
export default defineAgent({ execute: (intent, ctx) => ({ shout: intent.toUpperCase(), step: ctx.stepId }) });
`);
  await writeFile(join(project, "main.cjs"), `const { pathToFileURL } = require("node:url");
(async () => {
  const { ParallelOrchestrator, StrategyMap, StrategyStep } = await import("wavepool");
  const strategy = new StrategyMap("consumer").addStep(new StrategyStep("a", "shout", "Shout", "hello {{ task }}", "loud"));
  const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Shout", pathToFileURL(__dirname + "/agent.mjs"));
  const result = await o.execute("world");
  await o.close();
  console.log(JSON.stringify(result.context.get("loud")));
})();
`);
  const out = execFileSync(process.execPath, ["main.cjs"], { cwd: project, encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), { shout: "HELLO WORLD", step: "a" });
});

test("the package's types check in a consumer project, and a wrong option is a type error", async () => {
  await writeFile(join(project, "tsconfig.json"), JSON.stringify({
    compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", strict: true, noEmit: true, types: ["node"] },
    files: ["check.mts"],
  }));
  await writeFile(join(project, "check.mts"), `import { ParallelOrchestrator, ParallelOrchestratorConfig, StrategyMap, StrategyStep, type ParallelOrchestrationResult } from "wavepool";
import { defineAgent } from "wavepool/agent";
const config: ParallelOrchestratorConfig = new ParallelOrchestratorConfig().withStepTimeout(1000).withAgentLoadTimeout(5000);
const o = new ParallelOrchestrator(new StrategyMap("g").addStep(new StrategyStep("a", undefined, "A", "x", "out")), config);
export const run: Promise<ParallelOrchestrationResult> = o.execute("t");
export const agent = defineAgent<{ n: number }>({ execute: (intent, ctx) => intent.repeat(ctx.options.n) });
`);
  const ok = spawnSync(process.execPath, [tsc, "-p", "."], { cwd: project, encoding: "utf8" });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  await writeFile(join(project, "check.mts"), `import { ParallelOrchestratorConfig } from "wavepool";
new ParallelOrchestratorConfig().withStepTimeout("10s");
`);
  const bad = spawnSync(process.execPath, [tsc, "-p", "."], { cwd: project, encoding: "utf8" });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stdout, /check\.mts.*Argument of type 'string' is not assignable to parameter of type 'number'/);
});

test("npx wavepool --help runs the installed command", () => {
  const help = spawnSync("npx", ["--no-install", "wavepool", "--help"], { cwd: project, encoding: "utf8" });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: wavepool <command>/);
});
