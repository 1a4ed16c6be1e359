// readLoads: the four SPEC section 5 shapes, windows, dense layers, topology keys, bad files.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EplbError } from 'eplb-wasm';
import { checkLog2phyCells } from '../../js/log2phy.js';
import { eplb, goldenDir, realDir } from './helpers.mjs';

const m = [[1, 2, 3, 4], [0, 0, 0, 0], [4, 3, 2, 1]];

test('a bare matrix', () => {
  const w = eplb.readLoads(JSON.stringify(m));
  assert.equal(w.format, 'matrix');
  assert.equal(w.layers, 3);
  assert.equal(w.experts, 4);
  assert.ok(w.data instanceof Float64Array);
  assert.deepEqual(Array.from(w.data), m.flat());
  assert.deepEqual(Array.from(w.keptLayers), [0, 1, 2]);
});

test('{"weight": ...} with topology keys, as the golden files', () => {
  const w = eplb.readLoads(readFileSync(goldenDir + 'readme.json', 'utf8'));
  assert.equal(w.format, 'weight');
  assert.deepEqual([w.replicas, w.groups, w.nodes, w.gpus], [16, 4, 2, 8]);
  const bare = eplb.readLoads(JSON.stringify({ weight: m }));
  assert.equal(bare.replicas, undefined);
  assert.equal(bare.gpus, undefined);
});

test('an SGLang dump: 61 layers, dropDense keeps the 58 MoE layers', () => {
  const text = readFileSync(realDir + 'prefill_in1024.json', 'utf8');
  const all = eplb.readLoads(text);
  assert.equal(all.format, 'logical_count');
  assert.equal(all.layers, 61);
  assert.equal(all.experts, 256);
  const moe = eplb.readLoads(text, { dropDense: true });
  assert.equal(moe.layers, 58);
  assert.equal(moe.fileLayers, 61);
  assert.deepEqual(Array.from(moe.keptLayers), Array.from({ length: 58 }, (_, i) => i + 3));
  assert.deepEqual(moe.data, all.data.subarray(3 * 256));
});

test('a load history: summed over all steps, or over a window', () => {
  const steps = [[[1, 1]], [[2, 0]], [[0, 5]]];
  const text = JSON.stringify({ load_history: steps.map((s) => ({ logical_expert_load: s })) });
  const all = eplb.readLoads(text);
  assert.equal(all.format, 'load_history');
  assert.equal(all.historySteps, 3);
  assert.deepEqual(Array.from(all.data), [3, 6]);
  assert.deepEqual(Array.from(eplb.readLoads(text, { window: { begin: 1, end: 2 } }).data), [2, 0]);
  assert.deepEqual(Array.from(eplb.readLoads(text, { window: [1] }).data), [2, 5]);
  assert.throws(() => eplb.readLoads(text, { window: [2, 9] }), EplbError);
});

test('bytes are read as UTF-8 text', () => {
  const w = eplb.readLoads(new TextEncoder().encode(JSON.stringify(m)));
  assert.equal(w.layers, 3);
});

test('the same loads in every shape give the same placement', () => {
  const shapes = [m, { weight: m }, { logical_count: m },
    { load_history: [{ logical_expert_load: m.map((r) => r.map((x) => x / 2)) }, { logical_expert_load: m.map((r) => r.map((x) => x / 2)) }] }];
  const placements = shapes.map((s) => eplb.rebalance(eplb.readLoads(JSON.stringify(s)), { replicas: 8, groups: 2, nodes: 1, gpus: 2 }));
  for (const p of placements) assert.deepEqual(p.phy2log, placements[0].phy2log);
});

test('bad load files throw EplbError naming the problem', () => {
  const bad = {
    '{"weight": [[1,2,': /pars|JSON|syntax/i,
    '': /pars|JSON|empty|syntax/i,
    '[[1, 2], [3]]': /ragged/,
    '[[1, -2]]': /negative/,
    '[[1, "x"]]': /string|number/,
    '[[1, NaN]]': /pars|JSON|syntax/i,
    '[]': /no layers/,
    '{"foo": [[1]]}': /unrecognised|weight/,
    '[[0, 0], [0, 0]]': null,
  };
  for (const [text, pattern] of Object.entries(bad)) {
    if (pattern === null) {
      assert.throws(() => eplb.readLoads(text, { dropDense: true }), EplbError);
      continue;
    }
    assert.throws(() => eplb.readLoads(text), (e) => e instanceof EplbError && pattern.test(e.message), text);
  }
  for (const args of [[42], [null], ['[[1]]', { dropDense: 'yes' }], ['[[1]]', { window: [-1] }], ['[[1]]', 'opts']])
    assert.throws(() => eplb.readLoads(...args), EplbError);
});

test("limits() are the core's (cpp/include/eplb/limits.hpp), the ones the JS checks use", () => {
  const header = readFileSync(new URL('../../cpp/include/eplb/limits.hpp', import.meta.url), 'utf8');
  const value = (name) => {
    const m = new RegExp(`constexpr \\w+ ${name} = ([^;]+);`).exec(header);
    assert.ok(m, name);
    return Number(Function(`return ${m[1].replace(/int64_t\((\d+)\)/g, '$1')}`)());
  };
  const l = eplb.limits();
  const names = { maxLayers: 'max_layers', maxExperts: 'max_experts', maxReplicas: 'max_replicas', maxGpus: 'max_gpus',
    maxPlacementCells: 'max_placement_cells', maxSlots: 'max_slots', maxFileMatrixCells: 'max_file_matrix_cells',
    maxWindows: 'max_windows', maxHistoryCells: 'max_history_cells', maxFileBytes: 'max_file_bytes', maxJsonDepth: 'max_json_depth', maxLoad: 'max_load' };
  assert.deepEqual(Object.keys(l).sort(), Object.keys(names).sort());
  for (const [k, c] of Object.entries(names)) assert.equal(l[k], value(c), k);
  // The JS checks read them: log2phy past the core's placement limit is refused as the core would.
  assert.doesNotThrow(() => checkLog2phyCells(1, 1, l.maxPlacementCells));
  assert.throws(() => checkLog2phyCells(1, 1, l.maxPlacementCells + 1),
    (e) => e.code === 'limit-exceeded' && e.message.includes(`beyond the limit of ${l.maxPlacementCells}`));
});
