// Golden parity through the JS API: DeepSeek's reference outputs, reproduced by 'deepseek'.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertPlacement, eplb, goldenCases, slotSets } from './helpers.mjs';

const cases = goldenCases();

test('the golden folder holds the reference cases', () => {
  assert.ok(cases.length >= 20, `only ${cases.length} golden files`);
});

for (const c of cases) {
  test(`golden ${c.file}: phy2log and logcnt identical, log2phy rows as sets`, () => {
    const topo = { replicas: c.num_replicas, groups: c.num_groups, nodes: c.num_nodes, gpus: c.num_gpus };
    const p = eplb.rebalance(c.weight, { ...topo, algorithm: 'deepseek' });
    assertPlacement(p, { layers: c.weight.length, experts: c.weight[0].length, replicas: c.num_replicas });
    const json = eplb.placementToJSON(p);
    assert.deepEqual(json.phy2log, c.phy2log);
    assert.deepEqual(json.logcnt, c.logcnt);
    assert.deepEqual(slotSets(json.log2phy), slotSets(c.log2phy));
    assert.equal(json.num_gpus, c.num_gpus);
    assert.equal(json.algorithm, 'deepseek');
  });
}

test('typed-array inputs give the same placement as nested arrays (Float64Array and Float32Array)', () => {
  const c = cases.find((x) => x.file === 'readme.json');
  const topo = { replicas: 16, groups: 4, nodes: 2, gpus: 8, algorithm: 'deepseek' };
  const nested = eplb.rebalance(c.weight, topo);
  const shape = { layers: c.weight.length, experts: c.weight[0].length };
  for (const Typed of [Float64Array, Float32Array]) {
    const p = eplb.rebalance({ data: Typed.from(c.weight.flat()), ...shape }, topo);
    assert.deepEqual(p.phy2log, nested.phy2log);
    assert.deepEqual(p.log2phy, nested.log2phy);
    assert.deepEqual(p.logcnt, nested.logcnt);
  }
});

test('outputs are copies: later calls do not change an earlier result', () => {
  const c = cases[0];
  const topo = { replicas: c.num_replicas, groups: c.num_groups, nodes: c.num_nodes, gpus: c.num_gpus, algorithm: 'deepseek' };
  const p = eplb.rebalance(c.weight, topo);
  const before = Array.from(p.phy2log);
  eplb.rebalance(c.weight.map((row) => row.map((x, i) => x + i)), topo);
  assert.deepEqual(Array.from(p.phy2log), before);
  assert.ok(!(p.phy2log.buffer instanceof SharedArrayBuffer));
  assert.equal(p.phy2log.byteOffset, 0);
  assert.equal(p.phy2log.buffer.byteLength, p.phy2log.byteLength, 'not a view into the WASM heap');
});
