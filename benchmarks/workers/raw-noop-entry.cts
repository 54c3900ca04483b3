// raw-noop.ts as CommonJS, for pools the first-step benchmark destroys while threads may still be
// starting: Piscina require()s a worker file, and a thread terminated while it links an ES module
// that way aborts the process (see workers/entry.cts).
export = function noop(): null {
  return null;
};
