// Invariants of SPEC section 2 on the 12 real DeepSeek-V3 dumps, every algorithm and policy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertPlacement, eplb, realFiles, realLoads } from './helpers.mjs';

const v3 = { replicas: 288, groups: 8, nodes: 4, gpus: 32 };

test('algorithmInfo names every algorithm, in order, with a summary', () => {
  const info = eplb.algorithmInfo();
  assert.deepEqual(info.map((a) => a.name), eplb.algorithms());
  for (const a of info) assert.ok(a.summary.length > 10, a.name);
});

test('the project bundles the 12 real dumps', () => {
  assert.equal(realFiles().length, 12);
});

for (const file of realFiles()) {
  test(`real ${file}: valid placements at the DeepSeek-V3 shape`, () => {
    const w = realLoads(file);
    assert.equal(w.layers, 58);
    for (const algorithm of eplb.algorithms()) {
      const p = eplb.rebalance(w, { ...v3, algorithm });
      assertPlacement(p, { layers: 58, experts: 256, replicas: 288 });
      // Hierarchical: every replica of a group stays on the node its group was packed onto.
      const ev = eplb.evaluate(p, w);
      assert.ok(Math.abs(ev.homeNodeFraction - 1) < 1e-12, `${algorithm}: home-node fraction ${ev.homeNodeFraction}`);
      assert.ok(ev.balancednessGpu > 0 && ev.balancednessGpu <= ev.upperBound + 1e-12);
    }
  });
}

test('global policy and a non-hierarchical topology give valid placements', () => {
  const w = realLoads('decode_in1000out1000.json');
  for (const options of [{ ...v3, policy: 'global' }, { replicas: 320, groups: 8, nodes: 16, gpus: 64 }]) {
    const p = eplb.rebalance(w, options);
    assertPlacement(p, { layers: 58, experts: 256, replicas: options.replicas });
  }
});

test('dense all-zero layers are valid input', () => {
  const zeros = { data: new Float64Array(3 * 16), layers: 3, experts: 16 };
  const p = eplb.rebalance(zeros, { replicas: 32, groups: 4, nodes: 2, gpus: 8 });
  assertPlacement(p, { layers: 3, experts: 16, replicas: 32 });
});
