// Approvals asked at the terminal: when a run pauses and a person is there (`wavepool run` on a
// TTY), each waiting step is put to them, `Approve publish? [y/N] ` then `note: `, and the run goes
// on with the answers instead of exiting 3 with a command to resume it.
import { createInterface } from "node:readline";
import type { ApprovalDecision } from "../agent.js";
import type { PendingApproval } from "../run/result.js";
import type { Palette } from "./ansi.js";
import { oneLine } from "./run-output.js";
import { safeText as t } from "./safe-text.js";

/** Whether a person can be asked: stdin and stderr are a terminal. */
export function canAsk(input: NodeJS.ReadStream, output: NodeJS.WriteStream): boolean {
  return input.isTTY === true && output.isTTY === true;
}

/**
 * Asks about each pending approval in turn: `y` or `yes` approves, anything else (Enter too)
 * rejects; the note is optional (the reason, for a rejection). Resolves with the answers by step
 * id, or undefined when the person leaves instead (Ctrl-C or Ctrl-D): the run then stays paused.
 */
export async function askApprovals(
  pending: readonly PendingApproval[], input: NodeJS.ReadableStream, output: NodeJS.WritableStream, c: Palette,
): Promise<Record<string, ApprovalDecision> | undefined> {
  const rl = createInterface({ input, output, terminal: true });
  // At the question the terminal is in raw mode, so Ctrl-C is a key, not a signal: it closes.
  rl.on("SIGINT", () => rl.close());
  let closed = false;
  rl.once("close", () => (closed = true));
  const ask = (question: string): Promise<string | undefined> => new Promise((resolve) => {
    if (closed) return resolve(undefined);
    const left = (): void => resolve(undefined);
    rl.once("close", left);
    rl.question(question, (answer) => {
      rl.off("close", left);
      resolve(answer);
    });
  });
  // No prototype: a step named `__proto__` gets its own answer.
  const answers = Object.create(null) as Record<string, ApprovalDecision>;
  try {
    for (const p of pending) {
      output.write(`${c.magenta("‖")} ${c.bold(t(p.stepId))} (${t(p.agent)}) asks: ${t(p.message)}\n`);
      if (p.payload !== undefined) output.write(`${c.dim(`  payload: ${oneLine(p.payload)}`)}\n`);
      const answer = await ask(`Approve ${t(p.stepId)}? [y/N] `);
      if (answer === undefined) return undefined;
      const approved = /^\s*y(es)?\s*$/i.test(answer);
      const note = await ask("note: ");
      if (note === undefined) return undefined;
      answers[p.stepId] = note.trim() === "" ? { approved } : { approved, note: note.trim() };
    }
    return answers;
  } finally {
    rl.close();
    // A person who left gets a fresh line under the unanswered question.
    if (Object.keys(answers).length < pending.length) output.write("\n");
  }
}
