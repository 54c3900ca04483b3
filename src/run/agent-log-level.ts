// The level below which agents' log lines are dropped in the worker: the most verbose level the
// run's logger takes, computed once per run and sent with every step.
import type winston from "winston";
import type { LogLevel } from "../pool/protocol.js";

const mostVerboseFirst: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** The most verbose level `logger` takes; `error` when it takes none (those few lines winston drops). */
export function agentLogLevel(logger: winston.Logger): LogLevel {
  return mostVerboseFirst.find((level) => logger.isLevelEnabled(level)) ?? "error";
}
