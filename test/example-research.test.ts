// The dynamic example, examples/research.yaml, through the CLI: a planner's topics fanned out to the
// research agent on threads, a draft, its review, a revision that runs only on a low score, a
// copy-edit repeated until the text stops changing, and a termination for a task the corpus lacks.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { Plan } from "../examples/agents/planner.js";
import type { Research } from "../examples/agents/research.js";
import type { Review } from "../examples/agents/review.js";
import type { Revision } from "../examples/agents/reviser.js";
import type { Article } from "../examples/agents/writer.js";
import { cli, tempDir } from "./cli-process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FILE = "examples/research.yaml";
const tmp = tempDir();

interface Step {
  stepId: string; status: string; parent?: string; item?: number; items?: number; skipReason?: string;
  iterations?: number; repeatExhausted?: boolean; history: { iteration?: number }[];
}
interface Json {
  success: boolean; terminated: boolean; terminationReason?: string; steps: Step[];
  context: { plan?: Plan; notes?: Research[]; draft?: Article; review?: Review; revised?: Revision; polished?: string; article?: string };
}

/** The file's own numbers, so that the test follows a change of threshold or bound. */
async function design(): Promise<{ threshold: number; maxIterations: number }> {
  const file = parse(await readFile(join(ROOT, FILE), "utf8")) as { steps: { id: string; when?: string; repeat?: { maxIterations: number } }[] };
  const when = file.steps.find((s) => s.id === "revise")?.when ?? "";
  const threshold = Number(/^review\.score < ([\d.]+)$/.exec(when)?.[1]);
  assert.ok(Number.isFinite(threshold), `revise's when reads the review's score: ${when}`);
  return { threshold, maxIterations: file.steps.find((s) => s.id === "polish")!.repeat!.maxIterations };
}

async function run(args: string[]): Promise<{ code: number | null; stderr: string; json: Json }> {
  const { code, stdout, stderr } = await cli(["run", FILE, "--json", ...args], ROOT);
  return { code, stderr, json: JSON.parse(stdout || "{}") as Json };
}

const byId = (json: Json, id: string): Step => json.steps.find((s) => s.stepId === id)!;

test("the goal: one research item per planned topic, a low score revised, a copy-edit repeated until stable", async () => {
  const { threshold, maxIterations } = await design();
  const timeline = join(tmp(), "research-timeline.svg");
  const trace = join(tmp(), "research-trace.json");
  const { code, stderr, json } = await run(["--timeline", timeline, "--trace", trace]);
  assert.equal(code, 0, stderr);
  assert.equal(json.success, true);
  const { plan, notes, draft, review, revised, polished, article } = json.context;

  // The fan-out: as many items as topics, each completed, each on its own topic's document.
  const topics = plan!.topics;
  assert.ok(topics.length >= 2, `the planner found ${topics.length} topics`);
  const items = json.steps.filter((s) => s.parent === "research");
  assert.deepEqual(items.map((s) => [s.stepId, s.item, s.status]), topics.map((_, i) => [`research[${i}]`, i, "completed"]));
  assert.equal(byId(json, "research").items, topics.length);
  assert.deepEqual(notes!.map((n) => n.source), topics.map((t) => t.source), "each item researched the document of its topic");
  assert.deepEqual(draft!.sources, topics.map((t) => t.source), "the draft is written from every brief");

  // The default task's draft scores low: the revision runs, and raises the score.
  assert.ok(review!.score < threshold, `review score ${review!.score}`);
  assert.equal(byId(json, "revise").status, "completed");
  assert.ok(revised!.changes.length > 0);
  assert.ok(revised!.review.score > review!.score, `${review!.score} -> ${revised!.review.score}`);

  // The copy-edit: more than one pass (the last finds nothing to change), within the bound.
  const polish = byId(json, "polish");
  assert.equal(polish.status, "completed");
  assert.ok(polish.iterations! > 1 && polish.iterations! <= maxIterations, `${polish.iterations} iterations`);
  assert.ok(!polish.repeatExhausted, "the text stopped changing before maxIterations");
  assert.deepEqual(polish.history.map((a) => a.iteration), Array.from({ length: polish.iterations! }, (_, i) => i + 1));
  assert.notEqual(polished, revised!.markdown, "the passes changed the text");

  // The final draft is in context, as published.
  assert.match(polished!, /^# Rust's Versatility/);
  assert.ok(article!.startsWith("# Rust's Versatility"), article);
  assert.match(article!, /review score [\d.]+ as drafted, [\d.]+ once revised/);
  assert.match(await readFile(timeline, "utf8"), /<\/svg>\n$/);
  assert.ok((JSON.parse(await readFile(trace, "utf8")) as { traceEvents: unknown[] }).traceEvents.length > 0);
});

test("a draft that scores well is not revised: revise and the steps that read it are skipped by its condition", async () => {
  const { threshold } = await design();
  const { code, stderr, json } = await run(["--task", "Write an article about C and C++."]);
  assert.equal(code, 0, stderr);
  assert.equal(json.success, true);
  assert.ok(json.context.review!.score >= threshold, `review score ${json.context.review!.score}`);
  assert.deepEqual(["revise", "polish", "publish"].map((id) => [byId(json, id).status, byId(json, id).skipReason]),
    [["skipped", "condition"], ["skipped", "condition"], ["skipped", "condition"]]);
  assert.match(json.context.draft!.markdown, /^# C and C\+\+/, "the draft is the result");
});

test("a task the corpus says nothing about ends the run after the plan, with the reason", async () => {
  const { code, stderr, json } = await run(["--task", "Bake sourdough bread."]);
  assert.equal(code, 0, stderr);
  assert.deepEqual([json.success, json.terminated, json.terminationReason],
    [true, true, 'no bundled document is relevant to "Bake sourdough bread."']);
  assert.deepEqual(json.context.plan!.topics, []);
  assert.deepEqual(json.steps.map((s) => [s.stepId, s.status, s.skipReason ?? ""]), [
    ["plan", "completed", ""],
    ...["research", "write", "review", "revise", "polish", "publish"].map((id) => [id, "skipped", "terminated"]),
  ]);
});
