// What `npm run bench` needs in any clone: the Standard Task Graph Set ships in benchmarks/stg, and
// a benchmark section that cannot run says why instead of stopping the others. (No numbers here:
// benchmarks print tables, tests do not judge them.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { formatTable, section } from "../benchmarks/report.js";
import { loadStgSet } from "../benchmarks/stg/read-stg.js";

test("the Standard Task Graph Set is read from the repository's own copy, benchmarks/stg", () => {
  delete process.env.STG_DIR;
  const set = loadStgSet();
  assert.equal(set.dir, fileURLToPath(new URL("../../benchmarks/stg/", import.meta.url)));
  assert.equal(set.graphs.length, 20);
  assert.deepEqual(set.processors, { 50: [2, 4, 8], 100: [2, 4, 8, 16] });
});

test("a benchmark section that cannot run is a table that says why", async () => {
  const [table, ...rest] = await section("STG Table A", () => {
    throw new Error("cannot read the set", { cause: new Error("ENOENT: no such file") });
  });
  assert.deepEqual(rest, []);
  assert.equal(formatTable(table!), "### STG Table A\n\n**Not run:** cannot read the set (ENOENT: no such file)");
});
