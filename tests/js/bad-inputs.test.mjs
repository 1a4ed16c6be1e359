// The shared table of bad inputs (tests/data/bad-inputs.json) through the JS API and the CLI:
// an EplbError with the expected fragment, and the module still usable; exit 2 and one line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { EplbError } from 'eplb-wasm';
import { eplb, readJSON, root } from './helpers.mjs';

const { cases } = readJSON(path.join(root, 'tests', 'data', 'bad-inputs.json'));
const dir = mkdtempSync(path.join(tmpdir(), 'eplb-bad-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('the table has a row for every kind of mistake', () => assert.ok(cases.length >= 20));

for (const c of cases) {
  const [replicas, groups, nodes, gpus] = c.topology;
  const options = { replicas, groups, nodes, gpus, ...(c.algorithm && { algorithm: c.algorithm }), ...(c.policy && { policy: c.policy }),
    ...(c.failed && { failedGpus: c.failed }) };

  test(`JS API: ${c.name}`, () => {
    assert.throws(() => eplb.rebalance(eplb.readLoads(c.file), options), (e) => {
      assert.ok(e instanceof EplbError, `not an EplbError: ${e}`);
      assert.ok(e.message.includes(c.expect), `"${e.message}" lacks "${c.expect}"`);
      return true;
    });
    const ok = eplb.rebalance([[1, 2, 3, 4]], { replicas: 4, groups: 1, nodes: 1, gpus: 2 });
    assert.equal(ok.phy2log.length, 4);
  });

  test(`CLI: ${c.name}`, () => {
    const input = path.join(dir, 'in.json');
    const out = path.join(dir, 'out.json');
    writeFileSync(input, c.file);
    const flags = ['--replicas', replicas, '--groups', groups, '--nodes', nodes, '--gpus', gpus].map(String);
    if (c.algorithm) flags.push('--algorithm', c.algorithm);
    if (c.policy) flags.push('--policy', c.policy);
    if (c.failed) flags.push('--failed-gpus', c.failed.join(','));
    const r = spawnSync(process.execPath, [path.join(root, 'js', 'cli.js'), 'rebalance', input, ...flags, '--output', out], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0].includes(c.expect), `"${lines[0]}" lacks "${c.expect}"`);
    assert.ok(!existsSync(out), 'an output file was written');
  });
}
