// Files read as a stream (js/source.js, the core's event reader): a string, bytes or a
// { read(into) } reader give one result; a chunk boundary inside a character or a number changes
// nothing; a failing reader's own error comes back and the module stays usable; a large
// load_history is read in bounded memory.
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { test } from 'node:test';
import { EplbError } from 'eplb-wasm';
import { assertPlacement, eplb, realDir } from './helpers.mjs';

const good = [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]];
const ok = { replicas: 8, groups: 2, nodes: 2, gpus: 4 };
const usable = () => assertPlacement(eplb.rebalance(good, ok), { layers: 2, experts: 6, replicas: 8 });

// A reader handing out `bytes` a few at a time.
const trickle = (bytes, n) => {
  let at = 0;
  return { read: (into) => { const k = Math.min(n, into.length, bytes.length - at); into.set(bytes.subarray(at, at + k)); at += k; return k; } };
};

test('a string, its bytes, an ArrayBuffer and readers give the same reading', () => {
  const text = readFileSync(realDir + 'prefill_in1024.json', 'utf8');
  const bytes = new TextEncoder().encode(text);
  const want = eplb.readLoads(text, { dropDense: true });
  const fd = openSync(realDir + 'prefill_in1024.json', 'r');
  try {
    for (const input of [bytes, bytes.buffer, Buffer.from(bytes), trickle(bytes, 7), { read: (into) => readSync(fd, into) }]) {
      const got = eplb.readLoads(input, { dropDense: true });
      assert.deepEqual(got.data, want.data);
      assert.deepEqual(got.keptLayers, want.keptLayers);
    }
  } finally {
    closeSync(fd);
  }
});

test('characters beyond ASCII across chunk boundaries (the core asks for 1 MiB at a time)', () => {
  // Keys with a 4-byte character (a surrogate pair in JS) and a 2-byte one, placed at every
  // offset around the first chunk's end.
  for (let shift = 0; shift < 6; shift++) {
    const pad = 'x'.repeat((1 << 20) - 12 + shift);
    const text = `{"${pad}": 1, "😀é": [1], "weight": [[1, 2]], "num_gpus": 2}`;
    const w = eplb.readLoads(text);
    assert.deepEqual(Array.from(w.data), [1, 2]);
    assert.equal(w.gpus, 2);
  }
  // A lone surrogate in a key is no load file's business: still read.
  assert.equal(eplb.readLoads('{"\ud800": 0, "weight": [[3]]}').data[0], 3);
});

test('a byte order mark, and numbers cut by chunk boundaries', () => {
  assert.deepEqual(Array.from(eplb.readLoads('\ufeff[[1.5, 2e3]]').data), [1.5, 2000]);
  const bytes = new TextEncoder().encode('[[123456789, 0.25, 1e-3, 17]]');
  assert.deepEqual(Array.from(eplb.readLoads(trickle(bytes, 1)).data), [123456789, 0.25, 0.001, 17]);
});

test("a reader's own error is thrown once the core has unwound; the module stays usable", () => {
  const boom = new Error('disk on fire');
  assert.throws(() => eplb.readLoads({ read: () => { throw boom; } }), (e) => e === boom);
  usable();
  let calls = 0;
  assert.throws(() => eplb.readLoads({ read: (into) => (calls++ ? 1e9 : (into.set([91, 91]), 2)) }), /read\(\) must return the number of bytes/);
  usable();
  assert.throws(() => eplb.placementFromJSON({ read: () => { throw boom; } }), (e) => e === boom);
  usable();
  for (const bad of [42, null, true, [1, 2], { read: 'x' }])
    assert.throws(() => eplb.readLoads(bad), (e) => e instanceof EplbError && /readLoads takes the text of a file/.test(e.message), String(bad));
});

test('placementFromJSON reads text, bytes and readers alike', () => {
  const p = eplb.rebalance(good, ok);
  const text = JSON.stringify(eplb.placementToJSON(p));
  for (const input of [text, new TextEncoder().encode(text), trickle(new TextEncoder().encode(text), 5)])
    assert.deepEqual(eplb.placementFromJSON(input).phy2log, p.phy2log);
});

test('a long load_history is summed step by step (time and WASM memory bounded)', () => {
  // 1,500 steps of 61 x 256 (~66 MB of text), made and read a chunk at a time: never a string.
  const row = (l, s) => `[${Array.from({ length: 256 }, (_, e) => (l * 7 + e * 3 + s) % 50).join(',')}]`;
  const step = (s) => `{"logical_expert_load":[${Array.from({ length: 61 }, (_, l) => row(l, s)).join(',')}]}`;
  const steps = Array.from({ length: 50 }, (_, s) => new TextEncoder().encode(step(s)));
  const n = Number(process.env.EPLB_HISTORY_STEPS ?? 1500);
  const parts = [new TextEncoder().encode('{"load_history":[')];
  for (let s = 0; s < n; s++) {
    if (s) parts.push(new TextEncoder().encode(','));
    parts.push(steps[s % 50]);
  }
  parts.push(new TextEncoder().encode(']}'));
  let part = 0, at = 0, bytes = 0;
  const reader = {
    read(into) {
      let k = 0;
      while (k < into.length && part < parts.length) {
        const src = parts[part];
        const m = Math.min(into.length - k, src.length - at);
        into.set(src.subarray(at, at + m), k);
        k += m;
        at += m;
        if (at === src.length) { part++; at = 0; }
      }
      bytes += k;
      return k;
    },
  };
  const before = eplb.heapStats().heapBytes;
  const t0 = performance.now();
  const w = eplb.readLoads(reader, { windowSteps: 100 });
  const ms = performance.now() - t0;
  assert.equal(w.historySteps, n);
  assert.equal(w.windows.length, Math.ceil(n / 100));
  let want = 0;
  for (let s = 0; s < n; s++) want += (0 * 7 + 5 * 3 + (s % 50)) % 50;
  assert.equal(w.data[5], want);
  assert.ok(eplb.heapStats().heapBytes - before < 64 * 2 ** 20, `WASM memory grew by ${eplb.heapStats().heapBytes - before} bytes for ${bytes} bytes of text`);
  console.log(`# ${n} steps, ${(bytes / 1e6).toFixed(0)} MB read in ${(ms / 1000).toFixed(1)} s`);
  usable();
});
