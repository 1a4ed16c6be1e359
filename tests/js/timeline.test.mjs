// timeline(): each strategy placed window after window, measured on the window after each
// placement; against the same loop written out with rebalance and evaluate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EplbError } from 'eplb-wasm';
import { driftingSeries } from '../../js/synthetic.js';
import { eplb } from './helpers.mjs';

const topo = { replicas: 288, groups: 8, nodes: 4, gpus: 32 };

function byHand(series, algorithm, incremental, history = 1) {
  const next = [], moved = [];
  let prev = null;
  for (let i = 0; i + 1 < series.length; i++) {
    const recent = series.slice(Math.max(0, i + 1 - history), i + 1);
    const p = eplb.rebalance(recent, { ...topo, algorithm, ...(incremental && prev && { previous: prev }) });
    const ev = eplb.evaluate(p, series[i + 1], prev ? { previous: prev } : undefined);
    next.push(ev.balancednessGpu);
    moved.push(prev ? ev.movedSlots : null);
    prev = p;
  }
  return { next, moved };
}

test('timeline equals rebalance and evaluate window after window, for every strategy', () => {
  const series = driftingSeries({ layers: 58, experts: 256, seed: 3, windows: 5 });
  const strategies = [{ algorithm: 'deepseek' }, { algorithm: 'default' }, { algorithm: 'default', incremental: true }];
  const progress = [];
  const t = eplb.timeline(series, { ...topo, strategies, onProgress: (done, total, at) => progress.push([done, total, at]) });
  assert.equal(t.slots, series[0].layers * 288);
  t.strategies.forEach((r, k) => {
    const want = byHand(series, strategies[k].algorithm, strategies[k].incremental === true);
    assert.deepEqual(r.next, want.next);
    assert.deepEqual(r.moved, want.moved);
    assert.equal(r.ms.length, 4);
    assert.equal(r.incremental, strategies[k].incremental === true);
  });
  assert.equal(progress.length, 4 * 3 + 1);
  assert.deepEqual(progress.at(-1), [12, 12, null]);
  assert.deepEqual(progress[4], [4, 12, { window: 1, strategy: 1 }]);
});

test('timeline with a history of windows: each placement from the last few', () => {
  const series = driftingSeries({ layers: 58, experts: 256, seed: 4, windows: 5 });
  const t = eplb.timeline(series, { ...topo, history: 3, strategies: [{ algorithm: 'default' }] });
  assert.deepEqual(t.strategies[0].next, byHand(series, 'default', false, 3).next);
});

test('timeline mistakes are EplbErrors that name the problem', () => {
  const series = driftingSeries({ layers: 58, experts: 256, seed: 1, windows: 3 });
  const cases = [
    [[series[0]], { ...topo, strategies: [{ algorithm: 'default' }] }, /at least 2 windows/],
    [series, { ...topo, strategies: [] }, /strategies must be a non-empty array/],
    [series, { ...topo, strategies: [{ algorithm: 'nosuch' }] }, /unknown algorithm 'nosuch'/],
    [series, { ...topo, strategies: [{ algorithm: 'default', incremantal: true }] }, /unknown option 'incremantal' in strategies\[0\]; did you mean 'incremental'/],
    [series, { ...topo, strategies: [{ algorithm: 'default' }], histroy: 2 }, /unknown option 'histroy'/],
    [series, { ...topo, gpus: 7, strategies: [{ algorithm: 'default' }] }, /divisible|gpus/],
  ];
  for (const [loads, options, message] of cases)
    assert.throws(() => eplb.timeline(loads, options), (e) => e instanceof EplbError && message.test(e.message), String(message));
});
