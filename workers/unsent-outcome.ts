// Piscina posts what a task returns, and when that post throws (a value the shareability walk let
// through but structured clone refuses: a getter that changes its answer, a port with own fields)
// it rethrows the error in the worker, which kills the thread. The main thread would see a crash
// and retry it. The error is tagged here on its way out so that the main thread reports the output
// (OutputNotCloneableError, not retried) instead.
import { toErrorInfo } from "../src/error-serial.js";
import { UNSENT_OUTCOME_KEY } from "../src/pool/protocol.js";

// True from the moment a task's outcome is handed to Piscina until the next task starts: an uncaught
// error then can only be Piscina's failed post (one task per thread, and timers cannot run between
// our return and its postMessage, which follow each other in one run of microtasks).
let sending = false;

process.on("uncaughtExceptionMonitor", (error) => {
  if (!sending || (typeof error !== "object" && typeof error !== "function") || error === null) return;
  try {
    // Enumerable and plain: Node copies it to the main thread with the error, whatever its class
    // (a DataCloneError otherwise arrives as a bare `{}`).
    Object.defineProperty(error, UNSENT_OUTCOME_KEY, { value: toErrorInfo(error), enumerable: true });
  } catch {
    // A frozen error stays untagged: the main thread reports a crash, as before.
  }
});

/** Wraps a task: marks the window in which Piscina posts its outcome. */
export function sendingOutcome<T>(outcome: Promise<T>): Promise<T> {
  sending = false;
  return outcome.finally(() => {
    sending = true;
  });
}
