// Hostile input through the API: an EplbError with a message naming the problem, before or
// inside WASM, and the module stays usable after each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EplbError } from 'eplb-wasm';
import { assertPlacement, eplb } from './helpers.mjs';

const ok = { replicas: 8, groups: 2, nodes: 2, gpus: 4 };
const good = [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]];

// name: [weights, options, what the message must mention]
const rebalanceCases = {
  nan: [[[1, NaN, 3, 4, 5, 6]], ok, /NaN/],
  negative: [[[1, -2, 3, 4, 5, 6]], ok, /negative/],
  infinite: [[[1, Infinity, 3, 4, 5, 6]], ok, /infinite/],
  ragged: [[[1, 2, 3], [1, 2]], ok, /ragged/],
  empty: [[], ok, /no layers/],
  emptyRow: [[[]], ok, /no experts/],
  string: ['abc', ok, /weights/],
  null: [null, ok, /weights/],
  stringLoad: [[[1, '2', 3, 4, 5, 6]], ok, /weights\[0\]\[1\].*number/],
  rowNotArray: [[[1, 2, 3, 4, 5, 6], 7], ok, /weights\[1\]/],
  shortData: [{ data: new Float64Array(5), layers: 1, experts: 6 }, ok, /5 values/],
  intData: [{ data: new Int32Array(6), layers: 1, experts: 6 }, ok, /Float64Array/],
  plainData: [{ data: [1, 2, 3, 4, 5, 6], layers: 1, experts: 6 }, ok, /Float64Array/],
  typedNaN: [{ data: Float64Array.of(1, 2, NaN, 4, 5, 6), layers: 1, experts: 6 }, ok, /NaN/],
  bigShape: [{ data: new Float64Array(4), layers: 2 ** 20, experts: 2 ** 20 }, ok, /limit/],
  fracLayers: [{ data: new Float64Array(6), layers: 1.5, experts: 4 }, ok, /layers/],
  hugeLoad: [[[1, 1e300, 3, 4, 5, 6]], ok, /limit/],
  zeroGpus: [good, { ...ok, gpus: 0 }, /gpus/],
  fracGpus: [good, { ...ok, gpus: 1.5 }, /gpus/],
  strGpus: [good, { ...ok, gpus: '4' }, /gpus/],
  missingGpus: [good, { replicas: 8 }, /gpus/],
  negReplicas: [good, { ...ok, replicas: -8 }, /replicas/],
  fewReplicas: [good, { ...ok, replicas: 4 }, /replicas/],
  hugeReplicas: [good, { ...ok, replicas: 2 ** 31 }, /replicas/],
  nanReplicas: [good, { ...ok, replicas: NaN }, /replicas/],
  badDiv: [good, { ...ok, replicas: 9 }, /divisible/],
  badGroups: [good, { ...ok, groups: 4 }, /divisible/],
  badAlgo: [good, { ...ok, algorithm: 'nosuch' }, /nosuch/],
  algoType: [good, { ...ok, algorithm: 7 }, /algorithm/],
  badPolicy: [good, { ...ok, policy: 'fastest' }, /policy/],
  hierarchicalNeedsGroups: [good, { replicas: 8, groups: 2, nodes: 4, gpus: 4, policy: 'hierarchical' }, /at least as many groups \(2\) as nodes/],
  deepseekHierarchicalNeedsGroups: [good, { replicas: 8, groups: 2, nodes: 4, gpus: 4, policy: 'hierarchical', algorithm: 'deepseek' }, /divisible/],
  badMoves: [good, { ...ok, maxMoves: -3 }, /maxMoves/],
  badTolerance: [good, { ...ok, tolerance: 2 }, /tolerance/],
  optionsNotObject: [good, 'fast', /options/],
  badPrevious: [good, { ...ok, previous: { phy2log: [[0, 1]] } }, /previous/],
  previousOutOfRange: [good, { ...ok, previous: { phy2log: Array(2).fill([0, 1, 2, 3, 4, 5, 6, 99]) } }, /expert/],
};

for (const [name, [w, options, pattern]] of Object.entries(rebalanceCases)) {
  test(`rebalance rejects ${name}`, () => {
    assert.throws(() => eplb.rebalance(w, options), (e) => {
      assert.ok(e instanceof EplbError && e instanceof Error, `${name}: ${e}`);
      assert.equal(e.name, 'EplbError');
      assert.match(e.message, pattern);
      return true;
    });
    assertPlacement(eplb.rebalance(good, ok), { layers: 2, experts: 6, replicas: 8 });
  });
}

test('evaluate rejects inconsistent or malformed placements', () => {
  const p = eplb.rebalance(good, ok);
  const json = eplb.placementToJSON(p);
  const swapped = json.logcnt.map((r) => [...r].reverse());
  const cases = [
    [{ ...p, logcnt: new Int32Array(p.logcnt).fill(1) }, good, {}, /logcnt/],
    [{ ...json, logcnt: swapped }, good, {}, /logcnt/],
    [{ ...p, log2phy: new Int32Array(p.log2phy).fill(0) }, good, {}, /log2phy/],
    [{ phy2log: [[0, 1, 2, 3, 4, 5, 0, 9]] }, [good[0]], { gpus: 4 }, /expert index/],
    [{ phy2log: [[0, 1, 2, 3, 4, 0, 0, 0]] }, [good[0]], { gpus: 4 }, /no replica/],
    [{ phy2log: json.phy2log }, good, {}, /GPUs/],
    [{ phy2log: json.phy2log }, good, { gpus: 3 }, /divisible/],
    [p, [good[0]], {}, /layers/],
    [p, good, { previous: { phy2log: [[1]] } }, /previous/],
    [{ phy2log: p.phy2log }, good, { gpus: 4 }, /layers/],
    [{ phy2log: 'x' }, good, { gpus: 4 }, /phy2log/],
    [null, good, {}, /placement/],
  ];
  for (const [placement, w, options, pattern] of cases) {
    assert.throws(() => eplb.evaluate(placement, w, options), (e) => e instanceof EplbError && pattern.test(e.message),
      JSON.stringify(options) + String(pattern));
    assert.ok(eplb.evaluate(p, good).balancednessGpu > 0);
  }
});

test('placementFromJSON rejects broken files and accepts SGLang maps', () => {
  for (const bad of ['{', '[]', '{"phy2log": [[0, 1], [0]]}', '{"phy2log": [[0, 1]], "logcnt": [[2, 0]]}', '{"x": 1}'])
    assert.throws(() => eplb.placementFromJSON(bad), EplbError, bad);
  const p = eplb.placementFromJSON({ physical_to_logical_map: [[0, 1, 1, 0]] }, { gpus: 2 });
  assert.deepEqual(Array.from(p.logcnt), [2, 2]);
  assert.equal(p.gpus, 2);
});

test('predictLoads rejects bad histories', () => {
  for (const args of [[[]], ['x'], [[[[1, 2]], [[1]]]], [[[[1, 2]]], { predictor: 'nosuch' }], [[[[1, 'a']]]]])
    assert.throws(() => eplb.predictLoads(...args), EplbError);
  assert.deepEqual(Array.from(eplb.predictLoads([[[1, 2]], [[3, 4]]]).data), [4, 6]);
});

test('loadEplb rejects options that are not an object', async () => {
  const { loadEplb } = await import('eplb-wasm');
  await assert.rejects(loadEplb('fast'), EplbError);
});

test('running out of WASM memory is an EplbError and the module stays usable', () => {
  // 2^26 cells pass the JS shape limit: the loads (512 MiB as doubles) and a placement (256 MiB)
  // in the heap, plus the evaluator's own copies of them, exceed the module's 1 GiB maximum.
  const layers = 4096, experts = 16384;
  const w = { data: new Float32Array(layers * experts).fill(1), layers, experts };
  const phy2log = new Int32Array(layers * experts);
  for (let i = 0; i < phy2log.length; i++) phy2log[i] = i % experts;
  const p = { layers, experts, replicas: experts, gpus: 1, phy2log };
  assert.throws(() => eplb.evaluate(p, w),
    (e) => e instanceof EplbError && e.code === 'out-of-memory' && /out of memory/.test(e.message));
  assertPlacement(eplb.rebalance(good, ok), { layers: 2, experts: 6, replicas: 8 });
});
