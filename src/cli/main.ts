#!/usr/bin/env node
// The `wavepool` command: dispatches to run, plan and graph, prints one clear line for a user's
// mistake, and exits with the contract's code once everything written has been flushed.
import { readFileSync } from "node:fs";
import { didYouMean } from "../suggest.js";
import { describeFailure, EXIT, UsageError, type CommandContext } from "./cli-errors.js";
import { graphCommand } from "./graph-command.js";
import { planCommand } from "./plan-command.js";
import { runCommand } from "./run-command.js";
import { GRAPH_HELP, MAIN_HELP, PLAN_HELP, RUN_HELP, WORKER_HELP } from "./usage.js";
import { workerCommand } from "./worker-command.js";

const COMMANDS: Record<string, { run: (argv: string[], ctx: CommandContext) => Promise<number>; help: string }> = {
  run: { run: runCommand, help: RUN_HELP },
  plan: { run: planCommand, help: PLAN_HELP },
  graph: { run: graphCommand, help: GRAPH_HELP },
  worker: { run: workerCommand, help: WORKER_HELP },
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const ctx: CommandContext = {};
  try {
    if (command === undefined) {
      process.stderr.write(MAIN_HELP);
      return EXIT.usage;
    }
    if (command === "-h" || command === "--help" || command === "help") {
      process.stdout.write(COMMANDS[rest[0] ?? ""]?.help ?? MAIN_HELP);
      return EXIT.ok;
    }
    if (command === "-v" || command === "--version") {
      const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
      process.stdout.write(`${pkg.version}\n`);
      return EXIT.ok;
    }
    const entry = COMMANDS[command];
    if (entry === undefined) {
      const guess = didYouMean(command, [...Object.keys(COMMANDS), "help"]);
      throw new UsageError(`unknown command ${JSON.stringify(command)}; ${guess === undefined ? "the commands are run, plan, graph and worker" : `did you mean ${guess}?`}`);
    }
    return await entry.run(rest, ctx);
  } catch (error) {
    const { message, code } = describeFailure(error, ctx.file);
    process.stderr.write(`${message}\n`);
    return code;
  }
}

// A reader that stops early (`wavepool graph f.yaml | head`) is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
}

const code = await main(process.argv.slice(2));
// Exit only once stdout and stderr have taken everything (a pipe may still be draining).
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise((done) => stream.write("", done))));
process.exit(code);
