// What `npm start` runs: the `wavepool run` arguments for one of the bundled examples.

/** The bundled examples `npm start` knows: the strategy file, where its timeline and trace go. */
export const EXAMPLES = {
  article: { file: "examples/article.yaml", timeline: "out/timeline.svg", trace: "out/trace.json" },
  dynamic: { file: "examples/research.yaml", timeline: "out/research-timeline.svg", trace: "out/research-trace.json" },
} as const;

/**
 * `npm start` runs the article example; `npm start -- --dynamic` the dynamic one (`npm start
 * --dynamic`, without `--`, reaches us as npm's `npm_config_dynamic`; npm warns that it will stop
 * passing it). Every other argument goes on to `wavepool run` after ours, so a later `--timeline` or
 * `--trace` wins: `npm start -- --dynamic --task "Write an article about C and C++."`.
 * @example startArgs(["--dynamic", "--json"], {}) // => ["run", "examples/research.yaml", "--timeline", ..., "--json"]
 */
export function startArgs(argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const dynamic = argv.includes("--dynamic") || env.npm_config_dynamic === "true";
  const { file, timeline, trace } = dynamic ? EXAMPLES.dynamic : EXAMPLES.article;
  return ["run", file, "--timeline", timeline, "--trace", trace, ...argv.filter((arg) => arg !== "--dynamic")];
}
