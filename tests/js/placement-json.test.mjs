// placementToJSON / placementFromJSON: the SPEC section 2 object round-trips exactly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eplb, realLoads, slotSets } from './helpers.mjs';

test('a placement survives JSON text and back', () => {
  const p = eplb.rebalance(realLoads('prefill_in1024.json'), { replicas: 288, groups: 8, nodes: 4, gpus: 32 });
  const json = eplb.placementToJSON(p);
  assert.equal(json.phy2log.length, 58);
  assert.equal(json.phy2log[0].length, 288);
  assert.equal(json.log2phy[0][0].length, p.maxReplicas);
  assert.deepEqual([json.num_replicas, json.num_groups, json.num_nodes, json.num_gpus], [288, 8, 4, 32]);
  const back = eplb.placementFromJSON(JSON.stringify(json));
  for (const k of ['phy2log', 'log2phy', 'logcnt']) assert.deepEqual(back[k], p[k], k);
  for (const k of ['layers', 'experts', 'replicas', 'gpus', 'nodes', 'groups', 'maxReplicas', 'algorithm']) assert.equal(back[k], p[k], k);
});

test('log2phy rows in another order (as the reference writes them) are accepted', () => {
  const p = eplb.rebalance([[9, 1, 1, 1]], { replicas: 8, gpus: 2 });
  const json = eplb.placementToJSON(p);
  const shuffled = { ...json, log2phy: json.log2phy.map((l) => l.map((row) => [...row].reverse())) };
  const back = eplb.placementFromJSON(shuffled);
  assert.deepEqual(slotSets(eplb.placementToJSON(back).log2phy), slotSets(json.log2phy));
  assert.ok(eplb.evaluate(shuffled, [[9, 1, 1, 1]]).balancednessGpu > 0);
});

test('placementToJSON refuses what is not a placement', () => {
  assert.throws(() => eplb.placementToJSON({ phy2log: [[0]] }), /placement/);
});

test('log2phy, derived in JS when first read, passes the core\'s own check and survives copies', () => {
  const p = eplb.rebalance(realLoads('decode_in2000out100.json'), { replicas: 320, groups: 8, nodes: 4, gpus: 32 });
  const json = eplb.placementToJSON(p);
  // placementFromJSON has the core compare every log2phy row with its own, as a set of slots.
  const back = eplb.placementFromJSON(json);
  assert.deepEqual(back.log2phy, p.log2phy);
  assert.ok(p.log2phy === p.log2phy, 'computed once');
  for (const copy of [{ ...p }, structuredClone(p)]) assert.deepEqual(copy.log2phy, p.log2phy);
  assert.ok(Object.keys(p).includes('log2phy'));
  const q = eplb.rebalance([[1, 2]], { replicas: 2, gpus: 1 });
  q.log2phy = new Int32Array([7, 7]);
  assert.deepEqual(Array.from(q.log2phy), [7, 7]);
});

test('writePlacementJSON writes, a row at a time, the text of JSON.stringify(placementToJSON)', async () => {
  const { writePlacementJSON } = await import('../../js/placement-json.js');
  const shapes = [
    [realLoads('prefill_in1024.json'), { replicas: 288, groups: 8, nodes: 4, gpus: 32 }],
    [[[9, 1, 1, 1]], { replicas: 8, gpus: 2, algorithm: 'deepseek' }],
    [[[0, 0, 0], [5, 1, 2]], { replicas: 9, gpus: 3 }],
  ];
  for (const [w, o] of shapes) {
    const p = eplb.rebalance(w, o);
    const parts = [];
    const extra = { kept_layers: [3, 4], stats: { a: 1, b: [0.5] } };
    writePlacementJSON(p, (s) => parts.push(s), { extra });
    assert.equal(parts.join(''), JSON.stringify({ ...eplb.placementToJSON(p), ...extra }) + '\n');
    parts.length = 0;
    writePlacementJSON(p, (s) => parts.push(s), { format: 'sglang' });
    assert.equal(parts.join(''), JSON.stringify({ physical_to_logical_map: eplb.placementToJSON(p).phy2log }) + '\n');
  }
});
