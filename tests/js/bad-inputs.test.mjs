// The shared table of bad inputs (tests/data/bad-inputs.json) through the JS API and the CLI:
// an EplbError with the expected fragment, and the module still usable; exit 2 and one line,
// no output file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { EplbError } from 'eplb-wasm';
import { cliArgs, cliCaseArgs, forEntry, jsCall } from '../data/bad-inputs.mjs';
import { eplb, readJSON, root } from './helpers.mjs';

const { cases, cli_cases: cliCases } = readJSON(path.join(root, 'tests', 'data', 'bad-inputs.json'));
const dir = mkdtempSync(path.join(tmpdir(), 'eplb-bad-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the table has a row for every kind of mistake', () => {
  assert.ok(cases.length >= 35);
  assert.ok(cliCases.length >= 8);
});

function expectOneLine(r, expect, what, out) {
  assert.equal(r.status, 2, `${what}: exit ${r.status} ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.ok(lines[0].startsWith('eplb: '), lines[0]);
  assert.ok(lines[0].includes(expect), `"${lines[0]}" lacks "${expect}"`);
  assert.ok(lines[0].length < 300, `${lines[0].length} characters`);
  assert.ok(!existsSync(out), 'an output file was written');
}

for (const c of cases) {
  if (forEntry(c, 'js'))
    test(`JS API: ${c.name}`, () => {
      const [read, options] = jsCall(c);
      assert.throws(() => eplb.rebalance(eplb.readLoads(c.file, read), options), (e) => {
        assert.ok(e instanceof EplbError, `not an EplbError: ${e}`);
        assert.ok(e.message.includes(c.expect), `"${e.message}" lacks "${c.expect}"`);
        return true;
      });
      const ok = eplb.rebalance([[1, 2, 3, 4]], { replicas: 4, groups: 1, nodes: 1, gpus: 2 });
      assert.equal(ok.phy2log.length, 4);
    });

  if (forEntry(c, 'cli'))
    test(`CLI: ${c.name}`, () => {
      const input = path.join(dir, 'in.json');
      const out = path.join(dir, 'out.json');
      writeFileSync(input, c.file);
      const r = spawnSync(process.execPath, [path.join(root, 'js', 'cli.js'), ...cliArgs(c, input), '--output', out], { encoding: 'utf8' });
      expectOneLine(r, c.expect_cli ?? c.expect, c.name, out);
    });
}

for (const c of cliCases)
  test(`CLI only: ${c.name}`, () => {
    const input = path.join(dir, 'cli.json');
    const out = path.join(dir, 'out.json');
    writeFileSync(input, c.file);
    const r = spawnSync(process.execPath, [path.join(root, 'js', 'cli.js'), ...cliCaseArgs(c, input), '--output', out], { encoding: 'utf8', input: c.file });
    expectOneLine(r, c.expect, c.name, out);
  });
