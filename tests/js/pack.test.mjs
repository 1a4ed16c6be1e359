// The packed tarball, installed into an empty project: its CLI and its ES module work there, and
// it carries the built module although git ignores it.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { goldenDir, readJSON, root } from './helpers.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'eplb-pack-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const npm = (args, cwd) => spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8' });

test('npm pack, install into an empty folder, then npx eplb and import', () => {
  // The module is already built (npm test builds first); packing must not rebuild it.
  const packed = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root);
  assert.equal(packed.status, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout);
  const files = info.files.map((f) => f.path);
  for (const f of ['js/generated/eplb.wasm', 'js/generated/eplb-node.cjs', 'js/generated/eplb-web.mjs', 'js/index.d.ts', 'js/cli.js'])
    assert.ok(files.includes(f), `${f} missing from the tarball`);
  assert.ok(!files.some((f) => f.startsWith('cpp/') || f.startsWith('tests/') || f.startsWith('build')), 'sources or builds packed');

  const app = path.join(dir, 'app');
  execFileSync('mkdir', [app]);
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  const installed = npm(['install', '--offline', path.join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz')))], app);
  assert.equal(installed.status, 0, installed.stderr);

  const help = spawnSync('npx', ['--no-install', 'eplb', '--help'], { cwd: app, encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /eplb rebalance/);

  const g = readJSON(goldenDir + 'readme.json');
  writeFileSync(path.join(app, 't.mjs'), `import { loadEplb, EplbError } from 'eplb-wasm';
const eplb = await loadEplb();
const p = eplb.rebalance(${JSON.stringify(g.weight)}, { replicas: 16, groups: 4, nodes: 2, gpus: 8, algorithm: 'deepseek' });
let rejected = false;
try { eplb.rebalance([[1]], { replicas: 0, gpus: 1 }); } catch (e) { rejected = e instanceof EplbError; }
console.log(JSON.stringify({ phy2log: Array.from(p.phy2log), rejected }));
`);
  const r = spawnSync(process.execPath, ['t.mjs'], { cwd: app, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { phy2log: g.phy2log.flat(), rejected: true });
});
