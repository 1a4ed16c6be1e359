// A load history (several windows, oldest first) through the JS API and the CLI.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { EplbError } from 'eplb-wasm';
import { assertPlacement, eplb, realDir, realLoads, root } from './helpers.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'eplb-history-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cli = (...args) => spawnSync(process.execPath, [path.join(root, 'js', 'cli.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const v3 = { replicas: 288, groups: 8, nodes: 4, gpus: 32 };
const v3Flags = ['--replicas', '288', '--groups', '8', '--nodes', '4', '--gpus', '32'];

const a = realLoads('prefill_in1024.json');
const b = realLoads('prefill_in2048.json');
const sum = { data: a.data.map((x, i) => x + b.data[i]), layers: a.layers, experts: a.experts };

test('deepseek places the sum of a history', () => {
  const h = eplb.rebalance([a, b], { ...v3, algorithm: 'deepseek' });
  const s = eplb.rebalance(sum, { ...v3, algorithm: 'deepseek' });
  assert.deepEqual(h.phy2log, s.phy2log);
});

test('every algorithm and policy takes a history; nested matrices too', () => {
  const nested = (w) => Array.from({ length: w.layers }, (_, l) => Array.from(w.data.subarray(l * w.experts, (l + 1) * w.experts)));
  for (const algorithm of eplb.algorithms())
    for (const policy of ['auto', 'global', 'hybrid']) {
      if (algorithm === 'deepseek' && policy === 'hybrid') continue;
      const p = eplb.rebalance([a, nested(b)], { ...v3, algorithm, policy });
      assertPlacement(p, { layers: 58, experts: 256, replicas: 288 });
    }
});

test('evaluate measures a history on its sum', () => {
  const p = eplb.rebalance([a, b], v3);
  assert.deepEqual(eplb.evaluate(p, [a, b]).gpuLoads, eplb.evaluate(p, sum).gpuLoads);
});

test('windows of different shapes, or an empty history, are an EplbError', () => {
  const short = { data: a.data.subarray(0, 57 * 256), layers: 57, experts: 256 };
  assert.throws(() => eplb.rebalance([a, short], v3), (e) => e instanceof EplbError && /weights\[1\] is 57 x 256/.test(e.message));
  assert.throws(() => eplb.rebalance([], v3), EplbError);
  assert.throws(() => eplb.evaluate(eplb.rebalance(a, v3), [a, short]), EplbError);
});

test('readLoads cuts a load_history into windows of K steps', () => {
  const steps = [0, 1, 2, 3, 4].map((s) => ({ logical_expert_load: [[0, 0], [s, 2 * s]] }));
  const text = JSON.stringify({ load_history: steps });
  const r = eplb.readLoads(text, { windowSteps: 2, dropDense: true });
  assert.equal(r.windows.length, 3);
  assert.deepEqual(Array.from(r.windows[1].data), [5, 10]);
  assert.deepEqual(Array.from(r.data), [10, 20]);
  assert.throws(() => eplb.readLoads('[[1, 2]]', { windowSteps: 2 }), /load_history/);
  assert.throws(() => eplb.readLoads(text, { windowSteps: 0 }), EplbError);
});

test('CLI: several files are a history; --stats measures their sum', () => {
  const files = ['prefill_in1024.json', 'prefill_in2048.json'].map((f) => realDir + f);
  const out = path.join(dir, 'p.json');
  const r = cli('rebalance', ...files, ...v3Flags, '--drop-dense', '--algorithm', 'deepseek', '--stats', '--output', out);
  assert.equal(r.status, 0, r.stderr);
  const sumFile = path.join(dir, 'sum.json');
  const m = Array.from({ length: 58 }, (_, l) => Array.from(sum.data.subarray(l * 256, (l + 1) * 256)));
  writeFileSync(sumFile, JSON.stringify(m));
  const out2 = path.join(dir, 'q.json');
  assert.equal(cli('rebalance', sumFile, ...v3Flags, '--algorithm', 'deepseek', '--output', out2).status, 0);
  const p = JSON.parse(readFileSync(out, 'utf8')), q = JSON.parse(readFileSync(out2, 'utf8'));
  assert.deepEqual(p.phy2log, q.phy2log);
  assert.equal(p.stats.windows, 2);
  assert.equal(p.stats.input_format, 'logical_count');
  const ev = cli('evaluate', '--placement', out, ...files, '--drop-dense');
  assert.equal(ev.status, 0, ev.stderr);
  assert.equal(JSON.parse(ev.stdout).balancedness_gpu, p.stats.balancedness_gpu);
});

test('CLI: --window K cuts a load_history file into windows', () => {
  const steps = Array.from({ length: 6 }, (_, s) => ({ logical_expert_load: [[1 + s, 2, 3, 4 * s, 5, 6, 7, 8]] }));
  const f = path.join(dir, 'h.json');
  writeFileSync(f, JSON.stringify({ load_history: steps }));
  const r = cli('rebalance', f, '--window', '2', '--replicas', '12', '--gpus', '4', '--stats');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).stats.windows, 3);
});

test('CLI: mistakes with several files exit 2 with one line', () => {
  const f1 = path.join(dir, 'a.json'), f2 = path.join(dir, 'b.json');
  writeFileSync(f1, JSON.stringify([[1, 2, 3, 4]]));
  writeFileSync(f2, JSON.stringify([[1, 2, 3, 4], [5, 6, 7, 8]]));
  const topo = ['--replicas', '4', '--gpus', '2'];
  for (const [args, pattern] of [
    [[f1, f2, ...topo], /b\.json is 2 x 4 .*a\.json is 1 x 4/],
    [[f1, '--window', '2', ...topo], /--window|load_history/],
    [[f1, f1, '--window', '0', ...topo], /--window/],
    [['-', '-', ...topo], /standard input/],
  ]) {
    const r = cli('rebalance', ...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, pattern);
  }
});
