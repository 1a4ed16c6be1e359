// The benchmark suite's definition (bench/workloads.mjs) is well-formed, and its synthetic
// generators (js/synthetic.js) are deterministic. No timing here.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { createRng, driftingSeries, skewedLoads } from '../../js/synthetic.js';
import * as suite from '../../bench/workloads.mjs';
import { eplb, root } from './helpers.mjs';

const fileNames = suite.realData.files.map((f) => f.name);
const byName = Object.fromEntries(suite.realData.files.map((f) => [f.name, f]));

/** SPEC section 1 rules of a topology for a number of experts. */
function assertTopology(name, experts) {
  const t = suite.topologies[name];
  assert.ok(t, `unknown topology ${name}`);
  for (const k of ['replicas', 'groups', 'nodes', 'gpus']) assert.ok(Number.isInteger(t[k]) && t[k] > 0, `${name}.${k}`);
  assert.equal(experts % t.groups, 0, `${name}: experts % groups`);
  assert.equal(t.replicas % t.gpus, 0, `${name}: replicas % gpus`);
  assert.equal(t.gpus % t.nodes, 0, `${name}: gpus % nodes`);
  assert.ok(t.replicas >= experts, `${name}: replicas >= experts`);
  assert.equal(typeof t.label, 'string');
}

test('the 12 real files exist, are named once, with provenance', () => {
  assert.equal(fileNames.length, 12);
  assert.equal(new Set(fileNames).size, 12);
  assert.ok(existsSync(`${root}${suite.realData.provenance}`));
  for (const f of suite.realData.files) {
    assert.ok(existsSync(`${root}${suite.realData.dir}/${f.name}.json`), f.name);
    assert.ok(f.name.startsWith(`${f.phase}_`), `${f.name} is ${f.phase}`);
    assert.ok(['prefill', 'decode'].includes(f.phase));
  }
  assert.deepEqual(suite.realData.readOptions, { dropDense: true });
});

test('reading a real file as the suite does gives the declared shape (dense layers dropped)', () => {
  const text = readFileSync(`${root}${suite.realData.dir}/${fileNames[0]}.json`, 'utf8');
  const f = eplb.readLoads(text, suite.realData.readOptions);
  assert.equal(f.layers, suite.realData.layers);
  assert.equal(f.experts, suite.realData.experts);
  assert.equal(f.fileLayers, 61);
});

test('the topologies of the issue are present with their values', () => {
  const want = {
    v3: [288, 8, 4, 32], 'v3-1node': [288, 8, 1, 32], '1node-320-64': [320, 8, 1, 64], 'no-redundancy': [256, 8, 4, 32],
    '61x512': [640, 8, 8, 64], '61x1024': [2048, 8, 8, 256],
  };
  for (const [name, [replicas, groups, nodes, gpus]] of Object.entries(want)) {
    const { label, ...t } = suite.topologies[name];
    assert.deepEqual(t, { replicas, groups, nodes, gpus }, name);
  }
});

test('same-file and cross-file workloads name known files and valid topologies', () => {
  assert.ok(suite.sameFile.files.length > 0);
  for (const f of suite.sameFile.files) assert.ok(byName[f], f);
  for (const t of [...suite.sameFile.topologies, ...suite.crossFile.topologies]) assertTopology(t, suite.realData.experts);
  const kinds = new Set();
  const seen = new Set();
  for (const { place, measure, kind } of suite.crossFile.pairs) {
    assert.ok(byName[place] && byName[measure], `${place} -> ${measure}`);
    assert.notEqual(place, measure);
    assert.ok(!seen.has(`${place}>${measure}`), `duplicate pair ${place} -> ${measure}`);
    seen.add(`${place}>${measure}`);
    assert.equal(kind, `${byName[place].phase}->${byName[measure].phase}`, `${place} -> ${measure} is ${kind}`);
    if (kind === 'prefill->prefill') assert.notEqual(byName[place].input, byName[measure].input, 'prefill to prefill of another length');
    kinds.add(kind);
  }
  assert.deepEqual([...kinds].sort(), ['prefill->decode', 'prefill->prefill']);
});

test('synthetic shapes span 48x128 to 61x1024 with valid topologies; cases name known shapes', () => {
  const shapes = Object.values(suite.syntheticShapes);
  for (const s of shapes) assertTopology(s.topology, s.experts);
  const sizes = shapes.map((s) => s.layers * s.experts);
  assert.equal(Math.min(...sizes), 48 * 128);
  assert.equal(Math.max(...sizes), 61 * 1024);
  const cases = [...suite.syntheticQuality.cases, ...suite.timeline.cases, ...suite.quick.syntheticQuality, ...suite.quick.timeline];
  for (const c of cases) {
    assert.ok(suite.syntheticShapes[c.shape], c.shape);
    assert.ok(c.seeds.length > 0 && c.seeds.every((x) => Number.isInteger(x) && x >= 0));
    if (c.windows !== undefined) assert.ok(Number.isInteger(c.windows) && c.windows >= 3, 'a time series needs at least 3 windows');
  }
  assert.equal(typeof suite.timeline.reference, 'string');
});

test('speed cases: the V3 shape on a real file and the two large shapes', () => {
  const names = suite.speed.cases.map((c) => c.name);
  assert.deepEqual(names, ['v3', '61x512', '61x1024']);
  for (const c of suite.speed.cases) {
    if (c.source.real) {
      assert.ok(byName[c.source.real]);
      assertTopology(c.topology, suite.realData.experts);
    } else {
      const s = suite.syntheticShapes[c.source.synthetic];
      assert.ok(s, c.source.synthetic);
      assertTopology(c.topology, s.experts);
    }
    assert.ok(c.name in suite.speed.reference.calls && c.name in suite.quick.referenceCalls);
  }
  assert.deepEqual(suite.topologies[suite.speed.cases[0].topology], suite.topologies.v3);
  assert.ok(suite.speed.policies.includes('auto'));
  assert.ok(names.includes(suite.memory.case) && names.includes(suite.memory.largest));
  assert.ok(suite.memory.calls >= 5000);
});

test('quick subsets are subsets of the full suite', () => {
  for (const f of suite.quick.sameFileFiles) assert.ok(suite.sameFile.files.includes(f), f);
  for (const t of suite.quick.topologies) assert.ok(suite.sameFile.topologies.includes(t), t);
  for (const p of suite.quick.crossPairs)
    assert.ok(suite.crossFile.pairs.some((q) => q.place === p.place && q.measure === p.measure && q.kind === p.kind), `${p.place} -> ${p.measure}`);
});

test('the PRNG is deterministic per seed', () => {
  const draw = (seed) => {
    const r = createRng(seed);
    return Array.from({ length: 50 }, (_, i) => (i % 2 ? r.uniform() : r.normal()));
  };
  assert.deepEqual(draw(7), draw(7));
  assert.notDeepEqual(draw(7), draw(8));
  const r = createRng(1);
  for (let i = 0; i < 1000; i++) {
    const u = r.uniform();
    assert.ok(u >= 0 && u < 1);
  }
  assert.throws(() => createRng(-1), RangeError);
  assert.throws(() => createRng(1.5), RangeError);
});

test('synthetic series: same seed, same loads; another seed, other loads', () => {
  for (const [shapeName, s] of Object.entries(suite.syntheticShapes)) {
    if (s.layers * s.experts > 58 * 256) continue; // the large shapes take the same code path
    const spec = { layers: s.layers, experts: s.experts, windows: 4, ...suite.syntheticParams };
    const a = driftingSeries({ ...spec, seed: 3 });
    const b = driftingSeries({ ...spec, seed: 3 });
    const c = driftingSeries({ ...spec, seed: 4 });
    assert.equal(a.length, 4);
    for (let i = 0; i < 4; i++) {
      assert.equal(a[i].layers, s.layers);
      assert.equal(a[i].experts, s.experts);
      assert.ok(a[i].data instanceof Float64Array);
      assert.equal(a[i].data.length, s.layers * s.experts);
      assert.deepEqual(a[i].data, b[i].data, `${shapeName} window ${i}`);
      assert.notDeepEqual(a[i].data, c[i].data, `${shapeName} window ${i}, other seed`);
    }
  }
});

test('synthetic loads: whole non-negative tokens, skewed per layer, drifting across windows', () => {
  const series = driftingSeries({ layers: 58, experts: 256, seed: 1, windows: 3, ...suite.syntheticParams });
  const [w0, w1] = series;
  for (const v of w0.data) assert.ok(Number.isInteger(v) && v >= 0);
  for (let l = 0; l < 58; l++) {
    const row = w0.data.subarray(l * 256, (l + 1) * 256);
    const mean = row.reduce((x, y) => x + y, 0) / 256;
    assert.ok(Math.max(...row) > 2.5 * mean, `layer ${l}: a few hot experts`);
  }
  let changed = 0;
  for (let i = 0; i < w0.data.length; i++) if (w0.data[i] !== w1.data[i]) changed++;
  assert.ok(changed > w0.data.length / 2, 'loads drift from one window to the next');
  // A window does not depend on how many windows are asked for.
  assert.deepEqual(skewedLoads({ layers: 58, experts: 256, seed: 1, window: 1, ...suite.syntheticParams }).data, w1.data);
});

test('npm run bench parses its options', () => {
  const help = spawnSync(process.execPath, [`${root}bench/run.mjs`, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--markdown FILE/);
  assert.match(help.stdout, /--reference PATH/);
  const bad = spawnSync(process.execPath, [`${root}bench/run.mjs`, '--only', 'nonsense'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown section 'nonsense'/);
});

test('the uneven-cluster workloads name known files, valid topologies and failed GPUs in range', () => {
  for (const spec of [suite.failures, suite.quick.failures]) {
    for (const f of spec.files) assert.ok(byName[f], f);
    for (const c of spec.cases) {
      assertTopology(c.topology, suite.realData.experts);
      const t = suite.topologies[c.topology];
      assert.ok(c.failed.length > 0 && c.failed.every((g) => Number.isInteger(g) && g >= 0 && g < t.gpus), `${c.topology}: ${c.failed}`);
      assert.equal(new Set(c.failed).size, c.failed.length);
      assert.ok((t.gpus - c.failed.length) * (t.replicas / t.gpus) >= suite.realData.experts, 'enough live slots');
    }
    for (const name of spec.uneven) {
      assertTopology(name, suite.realData.experts);
      assert.notEqual(suite.topologies[name].groups % suite.topologies[name].nodes, 0, `${name}: groups that do not divide the nodes`);
    }
    assert.ok(byName[spec.timing.file]);
  }
});
