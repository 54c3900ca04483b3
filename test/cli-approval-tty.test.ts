// `wavepool run` on a terminal: a run that pauses for approval asks the person there and goes on
// with the answer. Driven through a real pseudo-terminal (util-linux `script`), keys written as a
// person types them once the question is on the screen.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { test } from "node:test";
import { CLI, fixture, tempDir, writeIn, yaml } from "./cli-process.js";

const tmp = tempDir();
const hasScript = process.platform === "linux" && spawnSync("script", ["--version"]).status === 0;
const skip = hasScript ? false : "needs util-linux script(1) for a pseudo-terminal";

const quote = (arg: string): string => `'${arg.replace(/'/g, "'\\''")}'`;

/**
 * Runs `wavepool args` on a pseudo-terminal (stdin, stdout and stderr all on it); `answer(screen)`
 * is called with everything shown so far and returns the keys to type next, if any.
 */
function onTerminal(args: string[], answer: (screen: string) => string | undefined): Promise<{ code: number | null; screen: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", TERM: "xterm" };
  delete env.WAVEPOOL_LOG_LEVEL;
  const child = spawn("script", ["-qfec", [process.execPath, CLI, ...args].map(quote).join(" "), "/dev/null"], { cwd: tmp(), env });
  let screen = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    screen += chunk;
    const keys = answer(screen);
    if (keys !== undefined) child.stdin.write(keys);
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, screen: screen.replace(/\r/g, "") }));
  });
}

/** Types each answer once its prompt shows, in order: the next prompt is looked for after the last one. */
function typing(...steps: [prompt: string, keys: string][]): (screen: string) => string | undefined {
  let next = 0;
  let from = 0;
  return (screen) => {
    const step = steps[next];
    const at = step === undefined ? -1 : screen.indexOf(step[0], from);
    if (step === undefined || at < 0) return undefined;
    next++;
    from = at + step[0].length;
    return step[1];
  };
}

const approvalFlow = (): Promise<string> => writeIn(tmp(), "approve.yaml", yaml({ Echo: fixture("echo"), Approve: fixture("approve") }, [
  `{ id: draft, description: D, agent: Echo, intent: "draft", output: draft_out }`,
  `{ id: publish, description: P, agent: Approve, intent: "{{ draft_out.intent }}", output: decision }`,
]));

test("on a terminal without --state, a paused run asks 'Approve publish? [y/N]' and a note, then finishes with them", { skip }, async () => {
  const path = await approvalFlow();
  const { code, screen } = await onTerminal(["run", path], typing(["Approve publish? [y/N] ", "y\r"], ["note: ", "ship it\r"]));
  assert.equal(code, 0, screen);
  assert.match(screen, /publish \(Approve\) asks: Publish draft\?\n {2}payload: \{"draft":"draft"\}/);
  assert.match(screen, /"approved": true,\n {2}"note": "ship it"/, "the answer and its note reached the agent");
  assert.match(screen, /✔ 2\/2 steps completed/);
  assert.doesNotMatch(screen, /^step +agent +wave/m, "the live display's last frame is not followed by a table of the same steps");
});

test("on a terminal, Enter rejects with the note as the reason; Ctrl-D at the question leaves the run paused", { skip }, async () => {
  const path = await approvalFlow();
  const rejected = await onTerminal(["run", path], typing(["Approve publish? [y/N] ", "\r"], ["note: ", "not yet\r"]));
  assert.equal(rejected.code, 1, rejected.screen);
  assert.match(rejected.screen, /publish \(Approve\) failed: ApprovalRejectedError: .*not yet/);

  const left = await onTerminal(["run", path], typing(["Approve publish? [y/N] ", "\x04"]));
  assert.equal(left.code, 3, left.screen);
  assert.match(left.screen, /this run cannot be resumed: it was started without --state FILE/);
});
