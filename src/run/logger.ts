// The default winston logger: JSON lines on stderr, quiet (`warn`) unless WAVEPOOL_LOG_LEVEL says otherwise.
import type winston from "winston";
import { lazyRequire } from "../lazy-require.js";

let shared: winston.Logger | undefined;

/** The process-wide default logger, created on first use. */
export function defaultLogger(): winston.Logger {
  const winston = lazyRequire<typeof import("winston")>("winston");
  return (shared ??= winston.createLogger({
    level: process.env.WAVEPOOL_LOG_LEVEL ?? "warn",
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { service: "wavepool" },
    transports: [new winston.transports.Console({ stderrLevels: Object.keys(winston.config.npm.levels) })],
  }));
}
