// The SVG timeline: well-formed XML, a bar per attempt, a row per thread, wave lines, escaping.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MIN_BAR_WIDTH, renderTimeline } from "../src/report/timeline-svg.js";
import { textWidth } from "../src/report/svg-text.js";
import { fakeResult, ODD_IDS } from "./fixtures/fake-result.js";
import { ofClass, parseXml } from "./fixtures/xml-check.js";

test("the checker itself rejects malformed XML", () => {
  assert.throws(() => parseXml(`<svg><g></svg>`), /closes the wrong element/);
  assert.throws(() => parseXml(`<svg><text>a<b</text></svg>`), /unparseable markup|closes/);
  assert.throws(() => parseXml(`<svg><text>a & b</text></svg>`), /bare &/);
  assert.throws(() => parseXml(`<svg a="1" a="2"/>`), /duplicate attribute/);
  assert.equal(parseXml(`<svg><text>a &lt; b</text></svg>`)[1]?.text, "a < b");
});

test("a 50-step run is well-formed SVG with one bar per attempt and one row per thread", () => {
  const { result, attempts, threads } = fakeResult();
  const svg = renderTimeline(result);
  const elements = parseXml(svg);
  assert.equal(elements[0]?.name, "svg");
  assert.equal(elements[0]?.attrs.get("xmlns"), "http://www.w3.org/2000/svg");
  assert.equal(ofClass(elements, "rect", "bar").length, attempts);
  assert.ok(attempts > 50, "the fixture has retries");
  const labels = ofClass(elements, "text", "row-label").map((e) => e.text);
  assert.deepEqual(labels, [...threads].sort((a, b) => a - b).map((t) => `thread ${t}`), "rows in thread order");
  assert.equal(new Set(labels).size, labels.length);
  // Every attempt has a tooltip with the full id, agent, duration and status.
  const titles = elements.filter((e) => e.name === "title" && e.parent?.attrs.get("class") === "attempt").map((e) => e.text);
  assert.equal(titles.length, attempts);
  assert.ok(titles.some((t) => t.startsWith(`${ODD_IDS[0]}\n`) && t.includes("agent: ") && /completed · \d+ ms/.test(t)));
});

test("bars are coloured by status and skipped steps are counted, not drawn", () => {
  const { result } = fakeResult();
  const elements = parseXml(renderTimeline(result));
  const fills = new Set(ofClass(elements, "rect", "bar").map((e) => e.attrs.get("fill")));
  assert.equal(fills.size, 5, "completed, failed, timed_out, cancelled, paused");
  const footnote = ofClass(elements, "text", "footnote")[0]?.text ?? "";
  assert.match(footnote, /2 skipped/);
  assert.match(footnote, /1 cancelled before starting/);
  assert.ok(elements.some((e) => e.name === "text" && e.text === "timed out (1)"));
});

test("each wave after the first gets a dashed line at its earliest start", () => {
  const { result } = fakeResult();
  const elements = parseXml(renderTimeline(result));
  const waves = ofClass(elements, "line", "wave");
  assert.equal(waves.length, result.waves.length - 1);
  assert.ok(waves.every((w) => w.attrs.get("stroke-dasharray") !== undefined));
  assert.deepEqual(ofClass(elements, "text", "wave-label").map((e) => e.text), result.waves.slice(1).map((_, i) => `wave ${i + 1}`));
  const xs = waves.map((w) => Number(w.attrs.get("x1")));
  assert.deepEqual([...xs].sort((a, b) => a - b), xs, "wave lines go left to right");
  // Wave 1's line sits on the left edge of its first bar.
  const firstOfWave1 = result.steps.filter((s) => s.wave === 1).flatMap((s) => s.history).sort((a, b) => a.startedAt - b.startedAt)[0];
  const bar = ofClass(elements, "rect", "bar").find((b) => Math.abs(Number(b.attrs.get("x")) - (xs[0] ?? -1)) < 0.2);
  assert.ok(firstOfWave1 && bar, "a bar starts where wave 1's line is");
});

test("ids with XML special characters are escaped, and labels never overflow narrow bars", () => {
  const { result } = fakeResult();
  const svg = renderTimeline(result, { width: 900 });
  for (const id of ODD_IDS.slice(0, 2)) assert.ok(!svg.includes(id), `raw ${id} must not appear`);
  assert.ok(svg.includes("a&#60;b&#38;&#34;c&#34;"));
  const elements = parseXml(svg);
  assert.equal(ofClass(elements, "text", "title")[0]?.text, "wavepool run", "no goal given: a generic title");
  assert.match(ofClass(elements, "text", "subtitle")[0]?.text ?? "", /^run run-<1>&2 · 50 steps · [\d.]+ (ms|s) · failed$/);
  const long = ofClass(parseXml(renderTimeline(result, { width: 3000 })), "text", "bar-label").filter((e) => e.text.startsWith("ré"));
  assert.equal(long.length, 1);
  assert.ok(long.every((e) => e.text.includes("…") && e.text.endsWith("fit")), "a long id loses its middle");
  const barLabels = ofClass(elements, "text", "bar-label");
  assert.ok(barLabels.length > 0 && barLabels.length < ofClass(elements, "rect", "bar").length, "labels that do not fit are dropped");
  for (const label of barLabels) {
    const bar = elements.find((e) => e.parent === label.parent && e.attrs.get("class") === "bar");
    // 11px sans-serif glyphs are at most ~0.62em wide on average.
    assert.ok(Array.from(label.text).length * 11 * 0.62 <= Number(bar?.attrs.get("width")), `${label.text} fits its bar`);
  }
});

test("odd thread ids, an empty run and control characters still give valid SVG", () => {
  const { result, threads } = fakeResult(50, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  const elements = parseXml(renderTimeline(result));
  assert.equal(threads.length, 17, "16 threads and the one that replaced a timed-out thread");
  assert.equal(ofClass(elements, "text", "row-label").length, 17);
  const empty = { ...result, steps: result.steps.map((s) => ({ ...s, history: [], status: "skipped" as const, startedAt: undefined, endedAt: undefined })) };
  const emptyElements = parseXml(renderTimeline(empty));
  assert.equal(ofClass(emptyElements, "rect", "bar").length, 0);
  assert.ok(emptyElements.some((e) => e.text === "no step ran in this run"));
  const control = { ...result, runId: "bell\u0007\ud800" };
  assert.ok(parseXml(renderTimeline(control)).some((e) => e.text.startsWith("run bell\ufffd\ufffd")));
});

test("the output is deterministic and ignores attempts restored from an earlier run", () => {
  const { result, attempts } = fakeResult();
  assert.equal(renderTimeline(result), renderTimeline(result));
  const first = result.steps[0];
  assert.ok(first);
  const restored = { ...first, history: [{ attempt: 1, status: "completed" as const, threadId: 99, startedAt: result.startedAt - 60_000, endedAt: result.startedAt - 59_000 }] };
  const resumed = { ...result, steps: [restored, ...result.steps.slice(1)] };
  const elements = parseXml(renderTimeline(resumed));
  assert.equal(ofClass(elements, "rect", "bar").length, attempts - first.history.length);
  assert.ok(!ofClass(elements, "text", "row-label").some((e) => e.text === "thread 99"));
  assert.match(ofClass(elements, "text", "footnote")[0]?.text ?? "", /1 attempt from an earlier run/);
});

test("the time axis has a few round ticks whatever the run's length", () => {
  const { result } = fakeResult();
  for (const [durationMs, unit] of [[0.5, "ms"], [950, "ms"], [12_000, "s"], [180_000, "s"]] as const) {
    const elements = parseXml(renderTimeline({ ...result, steps: [], endedAt: result.startedAt + durationMs, durationMs }));
    const labels = elements.filter((e) => e.parent?.attrs.get("class") === "axis-labels").map((e) => e.text);
    assert.ok(labels.length >= 3 && labels.length <= 14, `${labels.length} ticks for ${durationMs} ms`);
    assert.equal(labels[0], `0 ${unit}`);
    const values = labels.map((l) => Number(/^(\d+(?:\.\d{1,3})?) (?:ms|s)$/.exec(l)?.[1]));
    assert.ok(values.every((v, i) => i === 0 || v > (values[i - 1] ?? Infinity)), labels.join(", "));
  }
});

test("the title is the run's goal, with the run id below it in smaller type", () => {
  const { result } = fakeResult();
  const goal = "Write article <based> on parallel research & more";
  const elements = parseXml(renderTimeline(result, { title: goal }));
  const [title] = ofClass(elements, "text", "title");
  const [subtitle] = ofClass(elements, "text", "subtitle");
  assert.equal(title?.text, goal);
  assert.match(subtitle?.text ?? "", /^run run-<1>&2 · 50 steps · /);
  assert.ok(Number(subtitle?.attrs.get("font-size")) < Number(title?.attrs.get("font-size")), "the run id is smaller");
  assert.ok(Number(subtitle?.attrs.get("y")) > Number(title?.attrs.get("y")), "and below the title");
  // A goal too long for the picture is cut at the end, within the width.
  const long = ofClass(parseXml(renderTimeline(result, { title: "word ".repeat(200), width: 480 })), "text", "title")[0];
  assert.ok(long?.text.endsWith("…"));
  assert.ok(Number(long?.attrs.get("x")) + textWidth(long?.text ?? "", 16) <= 480);
});

test("a very short failed attempt is drawn at the minimum width and marked above its bar", () => {
  const { result } = fakeResult();
  const step = result.steps.find((s) => s.stepId === "step_20");
  const first = step?.history[0];
  assert.ok(step && first && first.status === "failed");
  // 50 µs in a run of about a second: a twentieth of a pixel at true scale.
  first.endedAt = first.startedAt + 0.05;
  const elements = parseXml(renderTimeline(result));
  const attempts = elements.filter((e) => e.name === "g" && e.attrs.get("class") === "attempt");
  const group = attempts.find((g) => elements.some((e) => e.parent === g && e.name === "title" && e.text.startsWith("step_20\n") && e.text.includes("attempt 1 of 3")));
  const bar = elements.find((e) => e.parent === group && e.attrs.get("class") === "bar");
  assert.ok(bar);
  assert.equal(Number(bar.attrs.get("width")), MIN_BAR_WIDTH);
  assert.ok(MIN_BAR_WIDTH >= 2 && MIN_BAR_WIDTH <= 4);
  // Every failed or timed-out attempt has a mark whose tip touches the top of its bar.
  const marks = ofClass(elements, "path", "mark");
  const marked = result.steps.flatMap((s) => s.history).filter((a) => a.status === "failed" || a.status === "timed_out");
  assert.equal(marks.length, marked.length);
  const x = Number(bar.attrs.get("x"));
  const tips = marks.map((m) => tipOf(m.attrs.get("d") ?? ""));
  assert.ok(tips.some(([tx, ty]) => tx >= x && tx <= x + MIN_BAR_WIDTH && ty === Number(bar.attrs.get("y"))), "the short bar is marked");
  assert.equal(marks[0]?.attrs.get("fill"), bar.attrs.get("fill"), "in the colour of its status");
  assert.match(ofClass(elements, "text", "footnote").map((e) => e.text).join(" "), /shorter than 3 px (is|are) drawn 3 px wide/);
});

/** The tip of a mark drawn as `M x y h w l dx dy z`. */
function tipOf(d: string): [number, number] {
  const [x, y, w, dx, dy] = (d.match(/-?[\d.]+/g) ?? []).map(Number);
  return [(x ?? NaN) + (w ?? NaN) + (dx ?? NaN), (y ?? NaN) + (dy ?? NaN)];
}

test("a static picture tells nobody to hover", () => {
  const { result } = fakeResult();
  for (const width of [480, 1200]) assert.doesNotMatch(renderTimeline(result, { width, title: "goal" }), /hover/i);
});

test("wave labels stay inside the picture and off each other, even when many waves start at once", () => {
  const { result } = fakeResult();
  // Every step its own wave, 40 of them starting within a few ms at the very end of the run, and
  // the first at its very start.
  const steps = result.steps.map((s, i) => {
    const startedAt = i === 1 ? result.startedAt : result.endedAt - 20 + i * 0.4;
    return { ...s, wave: i, history: s.history.map((a) => ({ ...a, startedAt, endedAt: Math.min(startedAt + 1, result.endedAt) })) };
  });
  for (const width of [480, 900, 1200]) {
    const elements = parseXml(renderTimeline({ ...result, steps }, { width }));
    const labels = ofClass(elements, "text", "wave-label").map((e) => {
      const x = Number(e.attrs.get("x"));
      const w = textWidth(e.text, Number(e.attrs.get("font-size")));
      return e.attrs.get("text-anchor") === "end" ? { e, left: x - w, right: x } : { e, left: x, right: x + w };
    });
    assert.ok(labels.length >= 3, `some waves are labelled at ${width}px`);
    assert.ok(labels.some((l) => l.e.text === "wave 1"), "the first wave, at the left edge");
    for (const l of labels) assert.ok(l.left >= 0 && l.right <= width, `${l.e.text} within 0..${width}: ${l.left}..${l.right}`);
    for (const a of labels) {
      for (const b of labels) {
        if (a === b || a.e.attrs.get("y") !== b.e.attrs.get("y")) continue;
        assert.ok(a.right <= b.left || b.right <= a.left, `${a.e.text} and ${b.e.text} overlap`);
      }
    }
    const drawn = steps.filter((s) => s.wave > 0 && s.history.length > 0).length;
    assert.equal(ofClass(elements, "line", "wave").length, drawn, "every wave that ran keeps its line, labelled or not");
    const unlabelled = drawn - labels.length;
    if (unlabelled > 0) assert.match(ofClass(elements, "text", "footnote").map((e) => e.text).join(" "), new RegExp(`${unlabelled} left unlabelled`));
  }
});
