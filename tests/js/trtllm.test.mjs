// --format trtllm and placementToTRTLLM: YAML that TensorRT-LLM's LLM API options read, each
// layer's row the phy2log of that layer, keyed by the model's layer index.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { EplbError } from 'eplb-wasm';
import { placementToTRTLLM } from 'eplb-wasm/trtllm';
import { eplb, realDir, root } from './helpers.mjs';

const cli = (...args) => spawnSync(process.execPath, [path.join(root, 'js', 'cli.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const dir = mkdtempSync(path.join(tmpdir(), 'eplb-trtllm-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const v3 = ['--replicas', '288', '--groups', '8', '--nodes', '4', '--gpus', '32'];
const dump = realDir + 'prefill_in1024.json';

const balancer = (text) => parse(text, { mapAsMap: true }).get('moe_config').get('load_balancer');

test('placementToTRTLLM (eplb-wasm/trtllm): num_slots, a static placement, integer layer keys, rows = phy2log', () => {
  const w = [[1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1], [4, 4, 4, 4, 1, 1, 1, 1]];
  const p = eplb.rebalance(w, { replicas: 12, gpus: 4, algorithm: 'deepseek' });
  const lb = balancer(placementToTRTLLM(p, { layers: [3, 5, 9] }));
  assert.equal(lb.get('num_slots'), 12);
  assert.equal(lb.get('layer_updates_per_iter'), 0);
  const a = lb.get('initial_global_assignments');
  assert.deepEqual([...a.keys()], [3, 5, 9]);
  [3, 5, 9].forEach((k, l) => assert.deepEqual(a.get(k), Array.from(p.phy2log.subarray(l * 12, (l + 1) * 12))));
  // Default keys 0..L-1; a SPEC section 2 object (nested phy2log) works too.
  const b = balancer(placementToTRTLLM(eplb.placementToJSON(p))).get('initial_global_assignments');
  assert.deepEqual([...b.keys()], [0, 1, 2]);
  assert.deepEqual(b.get(2), Array.from(p.phy2log.subarray(24, 36)));
});

test('placementToTRTLLM: mistakes are EplbErrors', () => {
  const p = eplb.rebalance([[1, 2], [2, 1]], { replicas: 2, gpus: 1 });
  for (const [layers, pattern] of [[[0], /2 layers/], [[1, 1], /twice/], [[0, -1], /non-negative/], ['0,1', /array/]])
    assert.throws(() => placementToTRTLLM(p, { layers }), (e) => e instanceof EplbError && pattern.test(e.message), String(layers));
  assert.throws(() => placementToTRTLLM({ phy2log: 'x' }), EplbError);
});

test('CLI --format trtllm with --drop-dense: the MoE layers of the dump (3..60), each the JSON placement row', () => {
  const js = path.join(dir, 'p.json'), ym = path.join(dir, 'p.yaml');
  assert.equal(cli('rebalance', dump, ...v3, '--drop-dense', '--output', js).status, 0);
  const r = cli('rebalance', dump, ...v3, '--drop-dense', '--format', 'trtllm', '--output', ym);
  assert.equal(r.status, 0, r.stderr);
  const p = JSON.parse(readFileSync(js, 'utf8'));
  assert.deepEqual(p.kept_layers, Array.from({ length: 58 }, (_, i) => i + 3), 'the JSON placement keeps kept_layers');
  const text = readFileSync(ym, 'utf8');
  assert.match(text, /^# TensorRT-LLM LLM API options/);
  const a = balancer(text).get('initial_global_assignments');
  assert.deepEqual([...a.keys()], p.kept_layers);
  p.kept_layers.forEach((layer, i) => assert.deepEqual(a.get(layer), p.phy2log[i], `layer ${layer}`));
});

test('CLI --format trtllm without --drop-dense: a matrix with no all-zero layer is keyed 0..L-1, a dense layer is an error', () => {
  const m = path.join(dir, 'm.json');
  writeFileSync(m, JSON.stringify([[1, 2, 3, 4], [4, 3, 2, 1]]));
  const r = cli('rebalance', m, '--replicas', '4', '--gpus', '2', '--format', 'trtllm');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual([...balancer(r.stdout).get('initial_global_assignments').keys()], [0, 1]);
  const out = path.join(dir, 'dense.yaml');
  for (const [args, pattern] of [
    [[dump, ...v3, '--format', 'trtllm'], /layer 0 of the input is all zero .*add --drop-dense/],
    [[dump, ...v3, '--format', 'trtllm', '--drop-dense', '--stats'], /--stats/],
  ]) {
    const bad = cli('rebalance', ...args, '--output', out);
    assert.equal(bad.status, 2, bad.stderr);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.match(bad.stderr, pattern);
    assert.equal(existsSync(out), false);
  }
});

// A second YAML reader, where the machine has one (Debian's python3-yaml).
const pyYaml = spawnSync('/usr/bin/python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;
test('PyYAML reads the file as TensorRT-LLM would: int layer keys, lists of ints', { skip: !pyYaml && 'no python3-yaml' }, () => {
  const ym = path.join(dir, 'py.yaml');
  assert.equal(cli('rebalance', dump, ...v3, '--drop-dense', '--format', 'trtllm', '--output', ym).status, 0);
  const script = 'import sys, yaml, json; d = yaml.safe_load(open(sys.argv[1]))["moe_config"]["load_balancer"]; ' +
    'a = d["initial_global_assignments"]; print(json.dumps([d["num_slots"], d["layer_updates_per_iter"], sorted(a), all(isinstance(k, int) for k in a), a[3]]))';
  const r = spawnSync('/usr/bin/python3', ['-c', script, ym], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [slots, updates, keys, intKeys, first] = JSON.parse(r.stdout);
  assert.deepEqual([slots, updates, keys.length, keys[0], intKeys], [288, 0, 58, 3, true]);
  const js = JSON.parse(cli('rebalance', dump, ...v3, '--drop-dense').stdout);
  assert.deepEqual(first, js.phy2log[0]);
});
