// A rebalance result keeps phy2log packed (several expert indices per word, js/log2phy.js) until
// it is read. With one slot per GPU and no redundancy, deepseek puts slot s on expert s, so
// phy2log must read back as 0..E-1 on every layer, for index widths of 1 to 16 bits, lengths
// that leave the last word partly filled, and words over several chunks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eplb } from './helpers.mjs';

const cases = [[1, 3], [2, 3], [3, 3], [7, 3], [255, 3], [256, 3], [257, 3], [1000, 3], [4097, 3], [3001, 9], [65536, 1]];
for (const [experts, layers] of cases) {
  test(`phy2log round-trips through its packed form: ${layers} x ${experts} experts`, () => {
    const data = Float64Array.from({ length: layers * experts }, (_, i) => (i * 7919) % 1000);
    const p = eplb.rebalance({ data, layers, experts }, { replicas: experts, gpus: experts, algorithm: 'deepseek' });
    assert.ok(p.phy2log instanceof Int32Array);
    assert.equal(p.phy2log.length, layers * experts);
    assert.equal(p.phy2log.buffer.byteLength, p.phy2log.byteLength, 'its own buffer');
    for (let l = 0; l < layers; l++)
      for (let s = 0; s < experts; s++) assert.equal(p.phy2log[l * experts + s], s, `layer ${l} slot ${s}`);
    assert.equal(p.phy2log, p.phy2log, 'made once, then kept');
    assert.equal(p.maxReplicas, 1);
  });
}

test('phy2log can be replaced before it is read, like a plain property', () => {
  const p = eplb.rebalance([[3, 1, 2, 5]], { replicas: 4, gpus: 2, algorithm: 'deepseek' });
  const mine = new Int32Array([3, 2, 1, 0]);
  p.phy2log = mine;
  assert.equal(p.phy2log, mine);
  assert.deepEqual(Object.keys(p).includes('phy2log'), true);
});
