// The packed tarball, installed into an empty project: its CLI and its ES module work there, and
// it carries the built module although git ignores it.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  assert.doesNotMatch(installed.stderr + installed.stdout, /install-scripts|prepare/, 'the install runs or asks for no scripts');

  // What a tidy package carries: a license naming the reproduced algorithm's origin, where the
  // project lives, no install scripts, types for every export, README links that resolve.
  const pkgDir = path.join(app, 'node_modules', 'eplb-wasm');
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const license = readFileSync(path.join(pkgDir, 'LICENSE'), 'utf8');
  assert.match(license, /^MIT License/);
  assert.match(license, /deepseek-ai\/EPLB/);
  assert.match(license, /DeepSeek distributes under the MIT License/);
  assert.equal(pkg.license, 'MIT');
  const home = 'https://github.com/eplb-wasm/eplb-wasm';
  assert.equal(pkg.repository.url, `git+${home}.git`);
  assert.equal(pkg.homepage, `${home}#readme`);
  assert.equal(pkg.bugs.url, `${home}/issues`);
  for (const script of ['prepare', 'preinstall', 'install', 'postinstall'])
    assert.equal(pkg.scripts?.[script], undefined, `${script} script in the published package`);
  const readme = readFileSync(path.join(pkgDir, 'README.md'), 'utf8');
  const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
  assert.ok(links.length >= 5);
  for (const link of links)
    assert.ok(link.startsWith(`${home}/`) || link.startsWith('https://raw.githubusercontent.com/eplb-wasm/eplb-wasm/') ||
      (!/^[a-z]+:/.test(link) && existsSync(path.join(pkgDir, link.split('#')[0]))), `README link ${link} does not resolve from the tarball`);

  // Types: the package's own and its eplb.wasm subpath, as a TypeScript user imports them.
  writeFileSync(path.join(app, 'u.ts'), `import { loadEplb, type ByteSource } from 'eplb-wasm';
import wasmUrl from 'eplb-wasm/eplb.wasm';
const where: string = wasmUrl;
const source: ByteSource = { read: () => 0 };
void loadEplb({ locateFile: () => where }).then((e) => e.readLoads(source));
`);
  writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: [] }, files: ['u.ts'] }));
  const tsc = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app, encoding: 'utf8' });
  assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);

  // A missing .wasm (a bundler that left it behind) is one line naming locateFile.
  const wasm = path.join(pkgDir, 'js', 'generated', 'eplb.wasm');
  renameSync(wasm, wasm + '.away');
  const missing = spawnSync(process.execPath, ['t.mjs'], { cwd: app, encoding: 'utf8' });
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /EplbError: loadEplb: cannot read eplb.wasm at .*eplb\.wasm \(no such file\); pass locateFile/);
  const cliMissing = spawnSync('npx', ['--no-install', 'eplb', 'algorithms'], { cwd: app, encoding: 'utf8' });
  assert.equal(cliMissing.status, 1);
  assert.match(cliMissing.stderr, /^eplb: internal error: loadEplb: cannot read eplb.wasm at .*; pass locateFile/);
  renameSync(wasm + '.away', wasm);
});
