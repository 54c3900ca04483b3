// The README's TypeScript samples, as a reader pastes them: every ```ts block is marked with the
// file it belongs to (`<!-- sample: main.ts -->`), blocks of one file are joined in order, tsc
// compiles them with --strict against the built package, and node runs main.js. A line
// `expr; // => value` is checked: it becomes `assert.deepStrictEqual(expr, value)`.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
// Inside the repository, so that `import "wavepool"` resolves to this package by its own name.
const dir = join(root, "dist", "readme-samples");
const MARKED = /<!-- sample: ([\w./-]+\.ts) -->\n```ts\n([\s\S]*?)```/g;
const CHECK = /^(\s*)(.+?);\s*\/\/ => (.+)$/;

interface Samples { files: Map<string, string[]>; checks: number }

async function readSamples(): Promise<Samples> {
  const readme = await readFile(join(root, "README.md"), "utf8");
  const files = new Map<string, string[]>();
  let checks = 0;
  for (const [, file, code] of readme.matchAll(MARKED)) {
    const lines = code!.split("\n").map((line) => {
      const check = CHECK.exec(line);
      if (check === null) return line;
      checks++;
      return `${check[1]}assert.deepStrictEqual(${check[2]}, ${check[3]});`;
    });
    files.set(file!, [...(files.get(file!) ?? []), lines.join("\n")]);
  }
  return { files, checks };
}

test("every TypeScript block of the README is a marked sample", async () => {
  const readme = await readFile(join(root, "README.md"), "utf8");
  const blocks = readme.match(/```ts\n/g)?.length ?? 0;
  const marked = [...readme.matchAll(MARKED)].length;
  assert.ok(blocks > 5, "the README has TypeScript samples");
  assert.equal(marked, blocks, "a ```ts block without a <!-- sample: FILE.ts --> line above it is not tested");
});

test("the README's samples compile with tsc --strict and run together, each checked value as shown", { timeout: 120_000 }, async () => {
  const { files, checks } = await readSamples();
  assert.ok(files.has("main.ts"), "the samples have a main program");
  assert.ok(checks >= 10, `the samples check what they show (${checks} checks)`);
  await rm(dir, { recursive: true, force: true });
  for (const [file, parts] of files) {
    const path = join(dir, file);
    await mkdir(dirname(path), { recursive: true });
    const head = file === "main.ts" ? 'import assert from "node:assert/strict";\n' : "";
    const tail = file === "main.ts" ? `\nconsole.log("README checks passed: ${checks}");\n` : "";
    await writeFile(path, `${head}${parts.join("\n")}${tail}`);
  }
  await writeFile(join(dir, "tsconfig.json"), JSON.stringify({
    compilerOptions: {
      target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, types: ["node"],
      lib: ["ES2023", "ES2024.SharedMemory"], skipLibCheck: true, noUnusedLocals: false,
    },
    include: ["**/*.ts"],
  }));
  const tsc = spawnSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", dir], { encoding: "utf8" });
  assert.equal(tsc.status, 0, `the samples do not compile:\n${tsc.stdout}${tsc.stderr}`);
  const stdout = execFileSync(process.execPath, [join(dir, "main.js")], { cwd: dir, encoding: "utf8", timeout: 90_000 });
  assert.match(stdout, new RegExp(`README checks passed: ${checks}`));
  await rm(dir, { recursive: true, force: true });
});
