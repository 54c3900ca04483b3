// The timeline of a dynamic run: a fan-out drawn as its items' attempts (the fan-out's own record,
// which ran nothing, draws nothing), a repeat step's iterations as bars of their own, skips by
// reason and a termination in the footnote, and 10,000 items that still give a readable picture.
import assert from "node:assert/strict";
import { test } from "node:test";
import { textWidth } from "../src/report/svg-text.js";
import { renderTimeline } from "../src/report/timeline-svg.js";
import { fakeDynamicResult, THREADS } from "./fixtures/fake-dynamic-result.js";
import { ofClass, parseXml, type Element } from "./fixtures/xml-check.js";

const tipOf = (bar: Element): string => bar.parent?.text ?? "";

test("each item's attempts are bars on their threads; the fan-out itself has none and no thread row", () => {
  const { result, attempts } = fakeDynamicResult();
  const elements = parseXml(renderTimeline(result, { width: 1600 }));
  const bars = ofClass(elements, "rect", "bar");
  assert.equal(bars.length, attempts);
  assert.deepEqual(ofClass(elements, "text", "row-label").map((e) => e.text), THREADS.map((t) => `thread ${t}`), "no 'no thread' row for the fan-out");
  const tips = bars.map(tipOf);
  assert.ok(!tips.some((tip) => tip.startsWith("research\n")), "no bar for the fan-out's own record");
  const item3 = tips.filter((tip) => tip.startsWith("research[3]\n"));
  assert.equal(item3.length, 1);
  assert.match(item3[0]!, /^research\[3\]\nitem 3 of research\nagent: Researcher\nattempt 1 of 1 · completed · 4 ms\nwave 1 · thread \d/);
  const retried = tips.filter((tip) => tip.startsWith("research[5]\n"));
  assert.deepEqual(retried.map((tip) => /attempt (\d) of 2 · (\w+)/.exec(tip)?.slice(1)), [["1", "failed"], ["2", "completed"]]);
  assert.equal(ofClass(elements, "path", "mark").length, 1, "the one failed attempt is marked; skips are not failures");
  assert.ok(bars.every((b) => b.attrs.get("stroke") === "#ffffff"), "bars with room are parted by a white edge");
});

test("a repeat step draws a bar per iteration, labelled by its number", () => {
  const { result } = fakeDynamicResult();
  const elements = parseXml(renderTimeline(result, { width: 1600 }));
  const polish = ofClass(elements, "rect", "bar").filter((b) => tipOf(b).startsWith("polish\n"));
  assert.equal(polish.length, 3);
  polish.forEach((bar, i) => assert.match(tipOf(bar), new RegExp(`\\niteration ${i + 1} of 3\\nattempt ${i + 1} of 3 · completed`)));
  const labels = ofClass(elements, "text", "bar-label").map((e) => e.text).filter((t) => t.startsWith("polish"));
  assert.deepEqual(labels, ["polish", "polish ↻2", "polish ↻3"]);
});

test("the header counts steps and items apart; the footnote gives skips by reason, the fan-out and the termination", () => {
  const { result } = fakeDynamicResult();
  const elements = parseXml(renderTimeline(result));
  assert.match(ofClass(elements, "text", "subtitle")[0]?.text ?? "", /^run run-dyn · 6 steps, 40 items · [\d.]+ ms · terminated$/);
  const notes = ofClass(elements, "text", "footnote").map((e) => e.text).join(" ");
  assert.match(notes, /^A termination ended the run: the draft is good enough\. Not drawn: 1 skipped \(condition\), 1 skipped \(terminated\)\. /);
  assert.match(notes, /A fan-out is drawn as its items' attempts, named step\[item\]: research\[\*\] \(40 items\)\./);
  assert.doesNotMatch(notes, /restored from a saved state/, "the fan-out's record is not taken for a restored step");
  const plain = ofClass(parseXml(renderTimeline(fakeDynamicResult({ terminated: false }).result)), "text", "footnote").map((e) => e.text).join(" ");
  assert.doesNotMatch(plain, /termination/);
  assert.match(plain, /Not drawn: 1 skipped \(condition\)\./);
});

test("10,000 items: a bar per attempt, no label on a bar too narrow for it, every label inside its bar", () => {
  const { result, attempts } = fakeDynamicResult({ items: 10_000 });
  const started = performance.now();
  const svg = renderTimeline(result);
  const took = performance.now() - started;
  assert.ok(took < 5000, `rendered in ${Math.round(took)} ms`);
  const elements = parseXml(svg);
  const bars = ofClass(elements, "rect", "bar");
  assert.equal(bars.length, attempts);
  assert.equal(ofClass(elements, "text", "row-label").length, THREADS.length);
  const labels = ofClass(elements, "text", "bar-label");
  assert.ok(labels.length < 20, `${labels.length} labels: items far narrower than their names go unlabelled`);
  for (const label of labels) {
    const bar = elements.find((e) => e.parent === label.parent && e.attrs.get("class") === "bar");
    assert.ok(textWidth(label.text, 11) <= Number(bar?.attrs.get("width")), `${label.text} fits its bar`);
  }
  assert.ok(svg.length < 600 * attempts, `${svg.length} bytes`);
  assert.ok(bars.every((b) => !b.attrs.has("stroke")), "widened slivers have no white edge: the row keeps its colour");
});

test("a run of 150,000 item attempts renders: no spread of every bar into one call", () => {
  const { result } = fakeDynamicResult({ items: 150_000 });
  const svg = renderTimeline(result, { width: 1200 });
  assert.ok(svg.startsWith("<svg") || svg.includes("<svg"));
  assert.ok(svg.length > 150_000);
});
