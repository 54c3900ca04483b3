// The level below which agents' log lines are dropped in the worker: the most verbose level the
// run's logger takes, fixed when the run dispatches its first step and sent with every step.
import type winston from "winston";
import type { LogLevel } from "../pool/protocol.js";

const mostVerboseFirst: readonly LogLevel[] = ["debug", "info", "warn", "error"];
const perRun = new WeakMap<object, LogLevel>();

/**
 * The most verbose level `run.logger` takes, computed once per `run` (any object that lives as
 * long as the run, such as its setup). `error` when it takes none: those few lines winston drops.
 */
export function agentLogLevel(run: { readonly logger: winston.Logger }): LogLevel {
  let level = perRun.get(run);
  if (level === undefined) {
    level = mostVerboseFirst.find((l) => run.logger.isLevelEnabled(l)) ?? "error";
    perRun.set(run, level);
  }
  return level;
}
