// "Did you mean ...?" wherever a name the user wrote is not one wavepool knows: strategy fields,
// agents, template variables, step ids; through the API and through `wavepool run`.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { StrategyMap, StrategyValidationError, UnknownAgentError, UnknownInputError, ParallelOrchestrator } from "wavepool";
import { cli, fixture, tempDir, writeIn, yaml } from "./cli-process.js";
import { agent, strategyOf } from "./helpers.js";

const step = { id: "a", description: "A", agent: "Echo", intent: "x", output: "a_out" };

const fields: [what: string, json: unknown, message: string][] = [
  ["depends_on", { goal: "g", steps: [step, { ...step, id: "b", output: "b_out" }, { ...step, id: "c", output: "c_out", depends_on: ["a"] }] },
    'steps[2].depends_on: unknown field; did you mean "dependsOn"?'],
  ["timeout_ms", { goal: "g", steps: [{ ...step, timeout_ms: 5 }] }, 'steps[0].timeout_ms: unknown field; did you mean "timeoutMs"?'],
  ["Intent", { goal: "g", steps: [{ ...step, Intent: "y" }] }, 'steps[0].Intent: unknown field; did you mean "intent"?'],
  ["step at the top", { goal: "g", steps: [], step: [] }, 'step: unknown field; did you mean "steps"?'],
  ["nothing close", { goal: "g", steps: [{ ...step, colour: "red" }] },
    "steps[0].colour: unknown field; a step has id, description, agent, intent, output, dependsOn, timeoutMs, retries, cost, expectedOutput, " +
      "forEach, forEachConcurrency, when, repeat"],
];
for (const [what, json, message] of fields) {
  test(`fromJSON: an unknown field (${what}) suggests the field meant`, () => {
    assert.throws(() => StrategyMap.fromJSON(json), (e: unknown) => e instanceof StrategyValidationError && e.message === message);
  });
}

test("dependsOn naming a step that does not exist suggests the step id meant", () => {
  const strategy = strategyOf(["research", "Echo", "x"], ["write", "Echo", "y", "out", { dependsOn: ["reserch"] }]);
  assert.throws(() => strategy.plan(), (e: unknown) => e instanceof StrategyValidationError && e.path === "steps[1].dependsOn[0]" &&
    e.message.endsWith('step write depends on unknown step "reserch"; did you mean "research"?'));
});

test("a step's agent that is not registered suggests the registered one meant", async () => {
  const o = new ParallelOrchestrator(strategyOf(["a", "Writr", "x"])).addAgent("Writer", agent("echo")).addAgent("Researcher", agent("echo"));
  after(() => o.close());
  await assert.rejects(o.execute("t"), (e: unknown) => e instanceof UnknownAgentError &&
    /uses agent Writr, which is not registered; did you mean Writer\? Otherwise call orchestrator\.addAgent\("Writr", moduleUrl\) \(registered: Writer, Researcher\)$/.test(e.message));
});

test("a template variable nobody provides suggests the output or input meant", async () => {
  const o = new ParallelOrchestrator(strategyOf(["research", "Echo", "x", "findings"], ["write", "Echo", "{{ findngs }} for {{ audience }}"])).addAgent("Echo", agent("echo"));
  after(() => o.close());
  await assert.rejects(o.execute("t", { inputs: { audience: "all" } }), (e: unknown) => e instanceof UnknownInputError && e.variable === "findngs" &&
    /reads \{\{ findngs \}\}, which no step produces and no input provides; did you mean \{\{ findings \}\}\? Otherwise add a step/.test(e.message));
  const other = new ParallelOrchestrator(strategyOf(["write", "Echo", "for {{ audience }}"])).addAgent("Echo", agent("echo"));
  after(() => other.close());
  await assert.rejects(other.execute("t", { inputs: { audiense: "all" } }), (e: unknown) => e instanceof UnknownInputError && e.variable === "audience" &&
    /did you mean \{\{ audiense \}\}\?/.test(e.message));
});

const tmp = tempDir();
const CLI_CASES: [what: string, text: () => string, message: RegExp][] = [
  ["a step field", () => yaml({ Echo: fixture("echo") }, ["{ id: a, description: A, agent: Echo, intent: x, output: o, depends_on: [] }"]),
    /^flow\.yaml: steps\[0\]\.depends_on: unknown field; did you mean "dependsOn"\?$/],
  ["an agent field", () => `goal: g\nagents:\n  Echo: { modul: ${JSON.stringify(fixture("echo"))} }\nsteps: []\n`,
    /^flow\.yaml: agents\.Echo\.modul: unknown field; did you mean "module"\?$/],
  ["a step's agent", () => yaml({ Echo: fixture("echo") }, ["{ id: a, description: A, agent: echo, intent: x, output: o }"]),
    /^flow\.yaml: steps\[0\]\.agent: step a uses agent echo, which the file's agents map does not name; did you mean Echo\? Otherwise add it under agents \(known: Echo\)$/],
  ["an agent file", () => yaml({ Echo: fixture("ecoh") }, ["{ id: a, description: A, agent: Echo, intent: x, output: o }"]),
    /^flow\.yaml: agents\.Echo: no such module ".*ecoh\.js": no file at .*ecoh\.js \(did you mean echo\.js\?\); paths are relative to the strategy file$/],
];
for (const [what, text, message] of CLI_CASES) {
  test(`wavepool run: ${what} that is misspelt exits 2 with a suggestion`, async () => {
    await writeIn(tmp(), "flow.yaml", text());
    const { code, stdout, stderr } = await cli(["run", "flow.yaml"], tmp());
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.match(stderr.trimEnd(), message);
  });
}
