// The README's "Try it on one machine" commands, run as written (a free port instead of 6379, the
// built CLI for `npx wavepool`): a redis-server, two workers, and the bundled example run on them.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { CLI, freePort, redisMissing, stopChild, waitForLine } from "./fixtures/redis-server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const missing = redisMissing();

/** The commands of the README's sh block under "Try it on one machine", trailing `&` removed. */
function tryItCommands(): string[] {
  const readme = readFileSync(new URL("README.md", `file://${ROOT}`), "utf8");
  const block = /Try it on one machine:\s*```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, "the README has a 'Try it on one machine' sh block");
  return block[1]!.trim().split("\n").map((line) => line.replace(/\s*&\s*$/, "").trim());
}

/** A command line split into words, its `"..."` arguments unquoted. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

describe("the README's distributed commands", { skip: missing }, () => {
  const children: ChildProcess[] = [];
  after(async () => {
    for (const child of children) await stopChild(child, "SIGKILL");
  });

  test("start redis, two workers, and run the bundled example on them", async () => {
    const lines = tryItCommands();
    assert.deepEqual(lines.map((l) => words(l).slice(0, 3).join(" ")), [
      "redis-server --port 6379", "npx wavepool worker", "npx wavepool worker", "npx wavepool run",
    ]);
    const port = String(await freePort());
    const commands = lines.map((line) => words(line).map((w) => w.replace("6379", port)));
    const [server, ...rest] = commands;
    const redis = spawn(server![0]!, [...server!.slice(1), "--bind", "127.0.0.1"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    children.push(redis);
    await waitForLine(redis, /Ready to accept connections/);

    // `npx wavepool` is the package's bin: the built CLI.
    const wavepool = (args: string[]): ChildProcess => {
      assert.deepEqual(args.slice(0, 2), ["npx", "wavepool"]);
      const child = spawn(process.execPath, [CLI, ...args.slice(2)], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      children.push(child);
      return child;
    };
    const workers = rest.slice(0, 2).map(wavepool);
    await Promise.all(workers.map((w) => waitForLine(w, /ready on queue/)));
    const run = wavepool(rest[2]!);
    let out = "";
    let err = "";
    run.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
    run.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const [code] = (await once(run, "exit")) as [number | null];
    assert.equal(code, 0, `the run exited ${code}:\n${out}\n${err}`);
    // The article on stdout; the summary on stderr, its step table naming the worker of each step (host:pid/thread).
    assert.match(out, /^# Rust's Versatility/);
    assert.match(err, /completed/);
    const pids = workers.map((w) => String(w.pid));
    assert.ok(pids.some((pid) => err.includes(`:${pid}/`)), `no step names a worker (${pids.join(", ")}):\n${err}`);
    for (const worker of workers) assert.equal(await stopChild(worker, "SIGTERM"), 0);
  });
});
