// A pause waits only where it must: a step waiting for approval keeps its dependents pending while
// every independent step runs to the end; the run ends paused once nothing more can run.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ParallelOrchestrator } from "wavepool";
import { agent, strategyOf } from "./helpers.js";

test("a paused step holds back only its dependents: independent chains that start after the pause finish", async () => {
  const strategy = strategyOf(
    ["ask", "Approve", "draft"],
    ["publish", "Sleep", "sleep 1 {{ ask_out.approved }}"],
    // Starts before the approval request, ends long after it: the run must not stop at the pause.
    ["long", "Sleep", "sleep 150"],
    ["then", "Sleep", "sleep 30 after {{ long_out }}"],
    ["last", "Sleep", "sleep 1 after {{ then_out }}"],
  );
  const o = new ParallelOrchestrator(strategy, { threads: 2 }).addAgent("Approve", agent("approve")).addAgent("Sleep", agent("sleep"));
  after(() => o.close());
  const result = await o.execute("t");
  const status = Object.fromEntries(result.steps.map((s) => [s.stepId, s.status]));
  assert.deepEqual(status, { ask: "paused", publish: "pending", long: "completed", then: "completed", last: "completed" });
  assert.equal(result.paused, true);
  assert.equal(result.cancelled, false);
  assert.equal(result.success, false);
  assert.deepEqual(result.pendingApprovals.map((p) => p.stepId), ["ask"]);
  assert.equal(result.context.get("last_out"), "sleep 1 after sleep 30 after sleep 150");
});

test("a state that cannot be written mid-run: execute resolves with every output and says the state is stale", async () => {
  const dir = await mkdtemp(join(tmpdir(), "wavepool-stale-"));
  const file = join(dir, "run.state");
  const strategy = strategyOf(["a", "Sleep", "sleep 1"], ["b", "Sleep", "sleep 5 {{ a_out }}"], ["c", "Sleep", "sleep 5 {{ b_out }}"]);
  const o = new ParallelOrchestrator(strategy, { threads: 1 }).addAgent("Sleep", agent("sleep"));
  after(() => o.close());
  let removed = false;
  const result = await o.execute("t", {
    saveStateTo: file,
    // The folder goes away once the first step has ended (at once, before the run goes on): the
    // state file is gone, and writing it again fails.
    onEvent: (event) => {
      if (event.type !== "step:end" || removed) return;
      rmSync(dir, { recursive: true, force: true });
      removed = true;
    },
  });
  assert.equal(result.success, true);
  assert.equal(result.context.get("c_out"), "sleep 5 sleep 5 sleep 1");
  assert.equal(result.stateError?.path, file);
  assert.equal(result.stateError?.code, "ENOENT");
  assert.match(result.stateError!.message, new RegExp(file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")));
});
