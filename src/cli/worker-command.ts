// `wavepool worker`: a worker process of distributed runs. SIGTERM or Ctrl-C stops it taking steps,
// lets the running ones finish within its grace period, hands back those that did not, and exits 0;
// a second one ends the grace period at once. A third gets Node's default: the process is killed.
import { parseCount, parseDuration, parseFlags, string, strings } from "./args.js";
import { EXIT, UsageError, type CommandContext } from "./cli-errors.js";
import { checkRedisUrl, loadDistributed, redisUrl } from "./redis-flags.js";
import { WORKER_HELP } from "./usage.js";

/** `--grace` when not given: what `startStepWorker`'s `graceMs` defaults to. */
const DEFAULT_GRACE_MS = 10_000;

const FLAGS = {
  redis: { type: "string" },
  queue: { type: "string" },
  threads: { type: "string" },
  concurrency: { type: "string" },
  allow: { type: "string", multiple: true },
  lock: { type: "string" },
  "stalled-interval": { type: "string" },
  grace: { type: "string" },
} as const;

export async function workerCommand(argv: string[], _ctx: CommandContext): Promise<number> {
  const { values: v, positionals } = parseFlags("worker", argv, FLAGS);
  if (v.help) {
    process.stdout.write(WORKER_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`worker takes no file, got ${positionals.join(" ")}`, "worker");
  const url = redisUrl(string(v.redis));
  if (url === undefined) throw new UsageError("worker needs --redis URL (or WAVEPOOL_REDIS_URL)", "worker");
  checkRedisUrl(url, "worker");
  const count = (flag: string): number | undefined => {
    const text = string(v[flag]);
    return text === undefined ? undefined : parseCount(`--${flag}`, text, "worker");
  };
  const duration = (flag: string): number | undefined => {
    const text = string(v[flag]);
    return text === undefined ? undefined : parseDuration(`--${flag}`, text, "worker");
  };
  const threads = count("threads");
  const concurrency = count("concurrency");
  const lockDurationMs = duration("lock");
  const stalledIntervalMs = duration("stalled-interval");
  const graceMs = duration("grace");
  const queue = string(v.queue);
  const allow = strings(v.allow);
  const { startStepWorker } = await loadDistributed("worker");
  const worker = await startStepWorker({
    connection: url,
    ...(queue !== undefined ? { queue } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(allow.length > 0 ? { allow } : {}),
    ...(lockDurationMs !== undefined ? { lockDurationMs } : {}),
    ...(stalledIntervalMs !== undefined ? { stalledIntervalMs } : {}),
    ...(graceMs !== undefined ? { graceMs } : {}),
  });
  // One line a supervisor (or a test) can wait for: the worker takes steps from now on.
  process.stdout.write(`wavepool worker ${worker.id} ready on queue ${queue ?? "wavepool"}\n`);
  // One listener for the signals from now on: without one, a second signal would kill the process
  // (Node's default), and its running steps would wait for their locks to expire elsewhere.
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    let heard = 0;
    const onSignal = (received: NodeJS.Signals): void => {
      if (++heard === 1) return resolve(received);
      process.off("SIGTERM", onSignal).off("SIGINT", onSignal);
      process.stderr.write(`wavepool worker ${worker.id}: ${received} again: handing back every running step now\n`);
      void worker.handBackNow();
    };
    process.on("SIGTERM", onSignal).on("SIGINT", onSignal);
  });
  process.stderr.write(`wavepool worker ${worker.id}: stopping on ${signal} (running steps have ${graceMs ?? DEFAULT_GRACE_MS}ms to finish, then are handed back; ${signal} again hands them back now)\n`);
  await worker.close();
  return EXIT.ok;
}
