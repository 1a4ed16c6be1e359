// Hostile input through the API: an EplbError with a message naming the problem, before or
// inside WASM, and the module stays usable after each.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

test('unknown option keys are mistakes, not defaults (a typo would run with 1 group)', () => {
  const cases = [
    [() => eplb.rebalance(good, { ...ok, group: 2 }), /unknown option 'group' in options; did you mean 'groups'\?/],
    [() => eplb.rebalance(good, { ...ok, maxmoves: 2 }), /did you mean 'maxMoves'/],
    [() => eplb.evaluate(eplb.rebalance(good, ok), good, { gpu: 4 }), /unknown option 'gpu'/],
    [() => eplb.readLoads('[[1]]', { dropdense: true }), /did you mean 'dropDense'/],
    [() => eplb.readLoads('[[1]]', { window: { begin: 0, stop: 1 } }), /unknown option 'stop' in window/],
    [() => eplb.predictLoads([good], { predicter: 'ema' }), /unknown option 'predicter'/],
    [() => eplb.placementFromJSON({ phy2log: [[0, 1]] }, { gpu: 1 }), /unknown option 'gpu'/],
  ];
  for (const [fn, pattern] of cases) {
    assert.throws(fn, (e) => e instanceof EplbError && pattern.test(e.message), String(pattern));
    assertPlacement(eplb.rebalance(good, ok), { layers: 2, experts: 6, replicas: 8 });
  }
});

test('a move budget or a tolerance without the placement in service is a mistake', () => {
  assert.throws(() => eplb.rebalance(good, { ...ok, maxMoves: 3 }), (e) => e instanceof EplbError && /maxMoves applies to rebalancing from a previous placement/.test(e.message));
  assert.throws(() => eplb.rebalance(good, { ...ok, tolerance: 0.01 }), /tolerance applies/);
  const prev = eplb.rebalance(good, ok);
  assertPlacement(eplb.rebalance(good, { ...ok, previous: prev, maxMoves: 3 }), { layers: 2, experts: 6, replicas: 8 });
});

test('numbers in messages as JS writes them: no "-0.000000", no 300 digits', () => {
  for (const [w, text] of [[[[1, -1e-9, 3, 4, 5, 6]], '(-1e-9)'], [[[1, 1e300, 3, 4, 5, 6]], '(1e+300)']]) {
    assert.throws(() => eplb.rebalance(w, ok), (e) => e.message.includes(text) && e.message.length < 120, text);
    assert.throws(() => eplb.readLoads(JSON.stringify(w)), (e) => e.message.includes(text) && e.message.length < 120, text);
  }
  assert.throws(() => eplb.rebalance(good, { ...ok, previous: eplb.rebalance(good, ok), tolerance: 1.5 }), /tolerance must be a number in \[0, 1\], got 1.5/);
});

test('a placement that grows the WASM memory is read after the growth (not zeros from the old view)', () => {
  // 58 x 256 loads to 32,768 slots: phy2log (7.6 MB) and the core's work grow the memory.
  const w = { data: new Float64Array(58 * 256).map((_, i) => 1 + ((i * 7919) % 1000)), layers: 58, experts: 256 };
  const p = eplb.rebalance(w, { replicas: 32768, gpus: 8, algorithm: 'deepseek' });
  assertPlacement(p, { layers: 58, experts: 256, replicas: 32768 });
});

test('log2phy beyond its limit is an EplbError naming the way out, not gigabytes of -1', () => {
  // An all-zero layer: one expert takes every spare slot, so log2phy pads 256 rows to ~65,000.
  const zero = { data: new Float64Array(61 * 256), layers: 61, experts: 256 };
  zero.data.fill(1, 256);
  const p = eplb.rebalance(zero, { replicas: 65536, gpus: 1, algorithm: 'deepseek' });
  assert.equal(p.phy2log.length, 61 * 65536);
  assert.throws(() => p.log2phy, (e) => e instanceof EplbError && e.code === 'limit-exceeded' && /log2phy would have \d+ cells .* beyond the limit of 67108864/.test(e.message));
  assert.throws(() => eplb.placementToJSON(p), /log2phy would have/);
  assertPlacement(eplb.rebalance(good, ok), { layers: 2, experts: 6, replicas: 8 });
});

test('onProgress sees every layer; its error comes back as is', () => {
  const seen = [];
  eplb.rebalance(good, { ...ok, onProgress: (done, total) => seen.push([done, total]) });
  assert.deepEqual(seen, [[1, 2], [2, 2]]);
  const stop = new Error('stop');
  assert.throws(() => eplb.rebalance(good, { ...ok, onProgress: () => { throw stop; } }), (e) => e === stop);
  assert.throws(() => eplb.rebalance(good, { ...ok, onProgress: 5 }), /onProgress must be a function/);
  assertPlacement(eplb.rebalance(good, ok), { layers: 2, experts: 6, replicas: 8 });
});

test('loadEplb: a wrong wasmBinary or a missing file is one EplbError naming what to pass', async () => {
  const { loadEplb } = await import('eplb-wasm');
  // A valid module of another build: imports this package's glue does not provide.
  const other = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2, 10, 1, 3, 0x65, 0x6e, 0x76, 2, 0x7a, 0x7a, 0, 0]);
  assert.ok(WebAssembly.validate(other));
  const cases = [
    [{ wasmBinary: new Uint8Array([1, 2, 3]) }, /wasmBinary is not WebAssembly \(3 bytes starting 01 02 03/],
    [{ wasmBinary: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 9]) }, /wasmBinary is not a valid WebAssembly module/],
    [{ wasmBinary: 'eplb.wasm' }, /wasmBinary must be the bytes of eplb.wasm/],
    [{ wasmBinary: other }, /not the eplb.wasm of this version of the package/],
    [{ locateFile: () => '/nonexistent/eplb.wasm' }, /cannot read eplb.wasm at \/nonexistent\/eplb.wasm \(no such file\); pass locateFile/],
    [{ locateFile: 'eplb.wasm' }, /locateFile must be a function/],
    [{ wasmBinry: new Uint8Array(4) }, /unknown option 'wasmBinry'.*did you mean 'wasmBinary'/],
  ];
  const stderr = process.stderr.write;
  const printed = [];
  process.stderr.write = (s) => (printed.push(String(s)), true);
  try {
    for (const [options, pattern] of cases) await assert.rejects(loadEplb(options), (e) => e instanceof EplbError && pattern.test(e.message), String(pattern));
  } finally {
    process.stderr.write = stderr;
  }
  assert.deepEqual(printed, [], 'nothing printed on stderr');
  const again = await loadEplb({ wasmBinary: readFileSync(new URL('../../js/generated/eplb.wasm', import.meta.url)) });
  assertPlacement(again.rebalance(good, ok), { layers: 2, experts: 6, replicas: 8 });
});

test('a trap inside WebAssembly is one EplbError, and the broken module says so after', async () => {
  const { loadEplb } = await import('eplb-wasm');
  const fresh = await loadEplb();
  // A reader that recurses until the stack is exhausted, from inside the core's read.
  const deep = (n) => (n <= 0 ? 0 : 1 + deep(n - 1));
  let threw = null;
  try {
    fresh.readLoads({ read: () => deep(1e9) });
  } catch (e) {
    threw = e;
  }
  // A JS stack overflow in the reader is the reader's own error (kept and rethrown); the core
  // unwound normally, so the module still works.
  assert.ok(threw instanceof RangeError, String(threw));
  assertPlacement(fresh.rebalance(good, ok), { layers: 2, experts: 6, replicas: 8 });
});
