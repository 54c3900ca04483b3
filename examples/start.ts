// `npm start`: picks a bundled example (start-args.ts) and hands over to the `wavepool` command in
// this same process, so that the terminal, Ctrl-C and the exit code are the command's own, as if
// it had been typed: `npm start` is `wavepool run examples/article.yaml --timeline out/timeline.svg
// --trace out/trace.json`, `npm start -- --dynamic` the same for examples/research.yaml.
import { fileURLToPath } from "node:url";
import { startArgs } from "./start-args.js";

const cli = new URL("../src/cli/main.js", import.meta.url);
process.argv = [process.argv[0]!, fileURLToPath(cli), ...startArgs(process.argv.slice(2), process.env)];
await import(cli.href);
