// The wrapper frees everything it allocates: 10,000 calls (successes and errors alike) leave the
// WASM heap where it was.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eplb, realLoads } from './helpers.mjs';

const small = [[5, 1, 3, 9, 2, 2, 7, 4], [1, 1, 1, 1, 8, 0, 0, 3]];
const topo = { replicas: 12, groups: 4, nodes: 2, gpus: 4 };

function churn(i) {
  const p = eplb.rebalance(i % 2 ? small : { data: Float32Array.from(small.flat()), layers: 2, experts: 8 }, topo);
  eplb.evaluate(p, small, { previous: p });
  if (i % 10 === 0) eplb.readLoads('{"weight": [[1, 2], [3, 4]], "num_gpus": 2}');
  if (i % 10 === 1) eplb.placementFromJSON(eplb.placementToJSON(p));
  if (i % 10 === 2) eplb.predictLoads([small, small]);
  try {
    eplb.rebalance(i % 3 ? [[1, -1]] : small, { ...topo, replicas: i % 3 ? 4 : 13 });
  } catch {
    // errors raised inside WASM must free their buffers too
  }
}

test('10,000 calls leave malloc use and the memory size where they were', () => {
  for (let i = 0; i < 50; i++) churn(i);
  const before = eplb.heapStats();
  for (let i = 0; i < 10000; i++) churn(i);
  const after = eplb.heapStats();
  assert.equal(after.inUse, before.inUse);
  assert.equal(after.heapBytes, before.heapBytes);
});

test('the heap stays within 32 MiB (16 MiB at start) at the largest benchmark shape (61x1024 -> 2048/256)', () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const big = { data: Float64Array.from({ length: 61 * 1024 }, () => Math.floor(Math.exp(3 * rnd()) * 100)), layers: 61, experts: 1024 };
  const options = { replicas: 2048, groups: 8, nodes: 8, gpus: 256, algorithm: 'deepseek' };
  const p = eplb.rebalance(big, options);
  eplb.evaluate(p, big);
  eplb.rebalance(realLoads('prefill_in2048.json'), { replicas: 288, groups: 8, nodes: 4, gpus: 32 });
  assert.ok(eplb.heapStats().heapBytes <= 32 * 2 ** 20, `heap ${eplb.heapStats().heapBytes} bytes`);
});
