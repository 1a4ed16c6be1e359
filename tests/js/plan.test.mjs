// The capacity planner through the JS API: every row is what rebalance + evaluate give with the
// same settings, leave-one-out as documented, skips and mistakes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EplbError } from 'eplb-wasm';
import { chooseRedundancy, defaultRedundancies } from '../../js/plan.js';
import { eplb, realLoads } from './helpers.mjs';

const v3 = { gpus: 32, nodes: 4, groups: 8 };
const files = ['prefill_in1024.json', 'prefill_in2048.json', 'prefill_in4096.json'].map(realLoads);

// Skewed loads, different per window: `windows` matrices of layers x experts.
function synthetic(windows, layers = 3, experts = 16, seed = 5) {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: windows }, () => ({
    data: Float64Array.from({ length: layers * experts }, () => Math.round(10 * Math.exp(3 * rnd()))), layers, experts,
  }));
}
const small = { gpus: 4, nodes: 2, groups: 4 };

test('every row is rebalance + evaluate with its settings; next-window is the mean of the held-out windows', () => {
  const plan = eplb.plan(files, { ...v3, redundant: [0, 32, 64] });
  assert.equal(plan.rows.length, 9, 'deepseek has no hybrid policy: 3 redundancies x 3 pairs');
  assert.deepEqual([...new Set(plan.rows.map((r) => `${r.algorithm}/${r.policy}`))], ['deepseek/auto', 'default/auto', 'default/hybrid']);
  assert.equal(plan.nextWindow, 'leave-one-out');
  for (const row of plan.rows) {
    const settings = { replicas: row.replicas, ...v3, algorithm: row.algorithm, policy: row.policy };
    assert.equal(row.replicas, 256 + row.redundant);
    const ev = eplb.evaluate(eplb.rebalance(files, settings), files);
    assert.ok(Math.abs(ev.balancednessGpu - row.balancednessGpu) <= 1e-9, `${row.algorithm}/${row.policy}/${row.redundant}`);
    assert.ok(Math.abs(ev.homeNodeFraction - row.homeNodeFraction) <= 1e-9);
    assert.ok(Math.abs(ev.upperBound - row.upperBound) <= 1e-9);
    assert.equal(row.movedSlots, null);
    assert.equal(row.redundantBytesPerGpu, null);
    if (row.redundant !== 32) continue;
    const heldOut = files.map((f, i) => eplb.evaluate(eplb.rebalance(files.filter((_, j) => j !== i), settings), f).balancednessGpu);
    const mean = heldOut.reduce((a, b) => a + b, 0) / heldOut.length;
    assert.ok(Math.abs(mean - row.nextWindowGpu) <= 1e-9, `${row.algorithm}/${row.policy}: ${mean} vs ${row.nextWindowGpu}`);
    assert.ok(row.nextWindowGpu < row.balancednessGpu, 'unseen loads balance worse than the loads placed for');
  }
  assert.match(plan.notes.join('\n'), /deepseek has no hybrid policy/);
});

test('fewer than 3 windows: next-window is null and the choice falls back to same-window', () => {
  for (const loads of [synthetic(2), synthetic(1)[0]]) {
    const plan = eplb.plan(loads, { ...small, redundant: [0, 4], algorithms: ['default'], policies: ['auto'] });
    assert.equal(plan.nextWindow, null);
    assert.ok(plan.rows.every((r) => r.nextWindowGpu === null));
    assert.equal(plan.choices[0].measure, 'balancednessGpu');
  }
  const three = eplb.plan(synthetic(3), { ...small, redundant: [0, 4], algorithms: ['default'], policies: ['auto'] });
  assert.ok(three.rows.every((r) => typeof r.nextWindowGpu === 'number'));
});

test('redundancies that do not divide over the GPUs are skipped with a note; rows come sorted', () => {
  const plan = eplb.plan(synthetic(3), { ...small, redundant: [8, 1, 0, 6], algorithms: ['deepseek'], policies: ['auto'] });
  assert.deepEqual(plan.rows.map((r) => r.redundant), [0, 8]);
  assert.equal(plan.notes.length, 2);
  assert.match(plan.notes[0], /redundant 1 skipped: 17 replicas do not divide over 4 GPUs/);
  assert.match(plan.notes[1], /redundant 6 skipped/);
});

test('the default redundancies start at the smallest that divides, a GPU apart', () => {
  assert.deepEqual(defaultRedundancies(256, 32), [0, 32, 64, 96, 128]);
  assert.deepEqual(defaultRedundancies(256, 96), [32, 128, 224, 320, 416]);
  const plan = eplb.plan(synthetic(1)[0], { ...small, algorithms: ['deepseek'], policies: ['auto'] });
  assert.deepEqual(plan.rows.map((r) => r.redundant), [0, 4, 8, 12, 16]);
});

test('the choice: the smallest redundancy within 1% of the best figure of its policy', () => {
  const row = (redundant, algorithm, policy, next) => ({ redundant, replicas: 16 + redundant, algorithm, policy, nextWindowGpu: next, balancednessGpu: 1 });
  const rows = [
    row(0, 'a', 'auto', 0.80), row(0, 'b', 'auto', 0.85), row(4, 'a', 'auto', 0.8912), row(4, 'b', 'auto', 0.8915), row(8, 'a', 'auto', 0.90),
    row(0, 'b', 'hybrid', 0.951), row(4, 'b', 'hybrid', 0.9599), row(8, 'b', 'hybrid', 0.96),
  ];
  const [auto, hybrid] = chooseRedundancy(rows, ['auto', 'hybrid', 'global']);
  assert.deepEqual([auto.policy, auto.redundant, auto.algorithm, auto.value], ['auto', 4, 'b', 0.8915]);
  assert.deepEqual(auto.best, { redundant: 8, algorithm: 'a', value: 0.90 });
  assert.deepEqual([hybrid.redundant, hybrid.measure], [0, 'nextWindowGpu'], '0.951 >= 0.99 x 0.96');
  const plan = eplb.plan(synthetic(3), { ...small, redundant: [0, 4, 8], policies: ['auto', 'hybrid'] });
  for (const c of plan.choices) {
    const mine = plan.rows.filter((r) => r.policy === c.policy);
    const best = Math.max(...mine.map((r) => r.nextWindowGpu));
    assert.equal(c.best.value, best);
    assert.ok(c.value >= 0.99 * best);
    assert.ok(mine.every((r) => r.redundant >= c.redundant || r.nextWindowGpu < 0.99 * best));
  }
});

test('previous: passed to rebalance in the rows of its slot count, which count moved slots', () => {
  const loads = synthetic(3);
  const previous = eplb.rebalance(loads[0], { replicas: 20, ...small });
  const plan = eplb.plan(loads, { ...small, redundant: [0, 4], algorithms: ['default'], policies: ['auto'], previous });
  const [fresh, kept] = plan.rows;
  assert.equal(fresh.movedSlots, null);
  const p = eplb.rebalance(loads, { replicas: 20, ...small, previous });
  const ev = eplb.evaluate(p, loads, { previous });
  assert.equal(kept.movedSlots, ev.movedSlots);
  assert.ok(Math.abs(kept.balancednessGpu - ev.balancednessGpu) <= 1e-9);
  assert.match(plan.notes.join(), /moved slots .* only in the rows of 20 replicas/);
});

test('expertBytes: the memory each GPU spends on the redundant experts', () => {
  const plan = eplb.plan(synthetic(1)[0], { ...small, redundant: [0, 8], algorithms: ['deepseek'], policies: ['auto'], expertBytes: 1000 });
  assert.deepEqual(plan.rows.map((r) => r.redundantBytesPerGpu), [0, (3 * 8 * 1000) / 4]);
});

test('progress: every step reported in order, ending at the total', () => {
  const seen = [];
  eplb.plan(synthetic(3), { ...small, redundant: [0, 4], algorithms: ['default'], policies: ['auto', 'global'], onProgress: (d, t, l) => seen.push([d, t, l]) });
  const total = 2 * 2 * (1 + 3);
  assert.ok(seen.every(([, t]) => t === total));
  assert.deepEqual(seen.at(-1).slice(0, 2), [total, total]);
  assert.ok(seen.every(([d], i) => i === 0 || d >= seen[i - 1][0]));
  assert.ok(seen.some(([, , l]) => /default, global, 4 redundant, window 3 of 3 held out/.test(l)));
});

test('mistakes are EplbErrors naming the option', () => {
  const loads = synthetic(1)[0];
  const cases = [
    [{ ...small, redundant: [] }, /redundant must be a non-empty array/],
    [{ ...small, redundant: [0, -4] }, /non-negative integers, got -4/],
    [{ ...small, redundant: [0, 2.5] }, /non-negative integers, got 2.5/],
    [{ ...small, redundant: [4, 4] }, /redundant lists 4 twice/],
    [{ ...small, redundant: [1, 2] }, /no redundancy asked for makes the replicas .* divide over 4 GPUs/],
    [{ ...small, algorithms: ['nosuch'] }, /algorithms: unknown name 'nosuch'/],
    [{ ...small, policies: ['fastest'] }, /policies: unknown name 'fastest'/],
    [{ ...small, policies: ['auto', 'auto'] }, /names 'auto' twice/],
    [{ ...small, algorithms: ['deepseek'], policies: ['hybrid'] }, /no algorithm has any of the policies/],
    [{ ...small, expertBytes: -1 }, /expertBytes must be a positive number/],
    [{ ...small, onProgress: 'yes' }, /onProgress must be a function/],
    [{ ...small, gpus: undefined }, /gpus must be a positive integer/],
    [{ ...small, nodes: 3 }, /divisible/],
    [{ ...small, previous: { phy2log: [[0, 1]] } }, /previous has 1 layers, the loads have 3/],
  ];
  for (const [options, pattern] of cases)
    assert.throws(() => eplb.plan(loads, options), (e) => e instanceof EplbError && pattern.test(e.message), JSON.stringify(options));
  assert.throws(() => eplb.plan([loads, { data: new Float64Array(16), layers: 1, experts: 16 }], small), EplbError);
});
