// Failed GPUs and uneven clusters through the JS API and the CLI (docs/failures.md): -1 slots,
// the lazily derived log2phy/logcnt, the packed phy2log, evaluate, the placement JSON, recovery
// with a previous placement, and the mistakes (EplbError; CLI exit 2, one line, nothing written).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { EplbError } from 'eplb-wasm';
import { placementToTRTLLM } from 'eplb-wasm/trtllm';
import { eplb, realDir, realLoads, root } from './helpers.mjs';

const V3 = { replicas: 288, groups: 8, nodes: 4, gpus: 32 };
const S = 9;
const w = realLoads('prefill_in1024.json');

/** -1 on exactly the failed GPUs, live slots valid, logcnt/log2phy over the live slots only. */
function assertFailed(p, failed) {
  const { layers: L, experts: E, replicas: R } = p;
  assert.deepEqual(p.failedGpus, [...failed].sort((a, b) => a - b));
  for (let l = 0; l < L; l++) {
    const counts = new Array(E).fill(0);
    for (let s = 0; s < R; s++) {
      const e = p.phy2log[l * R + s];
      if (failed.includes(Math.floor(s / S))) assert.equal(e, -1, `layer ${l} slot ${s} of a failed GPU`);
      else {
        assert.ok(e >= 0 && e < E, `layer ${l} slot ${s}: ${e}`);
        counts[e]++;
      }
    }
    for (let e = 0; e < E; e++) {
      assert.ok(counts[e] >= 1, `layer ${l} expert ${e} has no live replica`);
      assert.equal(p.logcnt[l * E + e], counts[e]);
      const row = p.log2phy.subarray((l * E + e) * p.maxReplicas, (l * E + e + 1) * p.maxReplicas);
      const live = Array.from(row).filter((s) => s >= 0);
      assert.equal(live.length, counts[e]);
      for (const s of live) assert.equal(p.phy2log[l * R + s], e);
    }
  }
}

test('rebalance with failedGpus: -1 slots, live counts, for every policy of the default algorithm', () => {
  for (const policy of ['global', 'hybrid', 'auto']) {
    const p = eplb.rebalance(w, { ...V3, policy, failedGpus: [20, 5] });
    assertFailed(p, [5, 20]);
  }
  // More experts than 255 + 1 values fit in 8 bits: the packed phy2log stores every slot plus one.
  const big = { data: new Float64Array(2 * 255).map((_, i) => 1 + (i % 7)), layers: 2, experts: 255 };
  const q = eplb.rebalance(big, { replicas: 272, gpus: 16, failedGpus: [0] });
  assert.equal(q.phy2log[0], -1);
  assert.ok(q.phy2log[17] >= 0 && q.phy2log[17] < 255);
});

test('deepseek with failedGpus is DeepSeek over the live GPUs (the elasticity-aware reference)', () => {
  const p = eplb.rebalance(w, { ...V3, algorithm: 'deepseek', failedGpus: [5] });
  const live = eplb.rebalance(w, { replicas: 31 * S, gpus: 31, algorithm: 'deepseek' });
  for (let l = 0; l < w.layers; l++)
    for (let g = 0, k = 0; g < 32; g++) {
      if (g === 5) continue;
      for (let j = 0; j < S; j++) assert.equal(p.phy2log[l * 288 + g * S + j], live.phy2log[l * 279 + k * S + j]);
      k++;
    }
  const mine = eplb.evaluate(eplb.rebalance(w, { ...V3, policy: 'global', failedGpus: [5] }), w).balancednessGpu;
  assert.ok(mine >= eplb.evaluate(p, w).balancednessGpu);
});

test('evaluate, placementToJSON and placementFromJSON carry the failed GPUs', () => {
  const p = eplb.rebalance(w, { ...V3, policy: 'global', failedGpus: [3, 17] });
  const ev = eplb.evaluate(p, w);
  assert.deepEqual(ev.failedGpus, [3, 17]);
  assert.equal(ev.gpuLoads[3], 0);
  // The mean is over the 30 live GPUs.
  let mean = 0;
  let top = 0;
  for (let l = 0; l < w.layers; l++) {
    let sum = 0;
    let mx = 0;
    for (let g = 0; g < 32; g++) sum += ev.gpuLoads[l * 32 + g], mx = Math.max(mx, ev.gpuLoads[l * 32 + g]);
    mean += sum / 30, top += mx;
  }
  assert.ok(Math.abs(ev.balancednessGpu - mean / top) < 1e-12);
  const json = eplb.placementToJSON(p);
  assert.deepEqual(json.failed_gpus, [3, 17]);
  const back = eplb.placementFromJSON(json);
  assert.deepEqual(back.failedGpus, [3, 17]);
  assert.deepEqual(Array.from(back.phy2log), Array.from(p.phy2log));
  assert.deepEqual(Array.from(back.logcnt), Array.from(p.logcnt));
  // A caller's placement with -1 slots and its own logcnt/log2phy: accepted when they agree.
  assert.doesNotThrow(() => eplb.evaluate({ phy2log: json.phy2log, logcnt: json.logcnt, log2phy: json.log2phy, gpus: 32 }, w));
  const half = json.phy2log.map((row) => row.slice());
  half[0][28] = 0; // one slot of failed GPU 3 (slots 27..35) holds an expert: not a failed GPU any more
  assert.throws(() => eplb.evaluate({ phy2log: half, gpus: 32 }, w), (e) => e instanceof EplbError && /every slot of GPU 3/.test(e.message));
  assert.throws(() => placementToTRTLLM(p), (e) => e instanceof EplbError && /cannot express failed GPUs/.test(e.message));
});

test('recovery: the placement in service before the failure keeps most live slots', () => {
  const before = eplb.rebalance(w, { ...V3, policy: 'global' });
  const after = eplb.rebalance(w, { ...V3, policy: 'global', failedGpus: [5], previous: before });
  assertFailed(after, [5]);
  const ev = eplb.evaluate(after, w, { previous: before });
  assert.ok(ev.movedSlots < 0.2 * w.layers * 279, `${ev.movedSlots} moved slots`);
  assert.ok(ev.balancednessGpu > 0.98, `${ev.balancednessGpu}`);
  // GPU 5 back in service: its slots are filled, from the placement made after the failure.
  const healed = eplb.rebalance(w, { ...V3, policy: 'global', previous: after });
  assertFailed(healed, []);
});

test('bad failedGpus throw EplbError naming the problem', () => {
  const bad = (failedGpus, extra = {}) => assert.throws(() => eplb.rebalance(w, { ...V3, failedGpus, ...extra }), EplbError);
  bad([32]);
  bad([5, 5]);
  bad([-1]);
  bad([1.5]);
  bad('5');
  bad(Array.from({ length: 32 }, (_, g) => g));
  bad(Array.from({ length: 28 }, (_, g) => g + 4)); // 36 live slots < 256 experts
  bad([5], { policy: 'hierarchical' }); // node 0 keeps 63 slots for 64 experts
  assert.throws(() => eplb.rebalance(w, { ...V3, failedGpus: [5], policy: 'hierarchical' }), /node 0: 63 live slots/);
});

test('8 groups on 3 nodes: hierarchical whole groups, hybrid balanced (JS API)', () => {
  const t = { replicas: 288, groups: 8, nodes: 3, gpus: 24 };
  const h = eplb.rebalance(w, { ...t, policy: 'hierarchical' });
  assert.equal(eplb.evaluate(h, w).homeNodeFraction, 1);
  const y = eplb.evaluate(eplb.rebalance(w, { ...t, policy: 'hybrid' }), w);
  assert.ok(y.balancednessGpu > 0.97 && y.homeNodeFraction >= 0.85, JSON.stringify([y.balancednessGpu, y.homeNodeFraction]));
  assert.throws(() => eplb.rebalance(w, { ...t, policy: 'hierarchical', algorithm: 'deepseek' }), /divisible by num_nodes/);
});

// The CLI, spawned as a user runs it.
const cli = path.join(root, 'js', 'cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'eplb-failures-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const run = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const v3 = ['--replicas', '288', '--groups', '8', '--nodes', '4', '--gpus', '32'];
const dump = path.join(realDir, 'prefill_in512.json');

test('eplb rebalance --failed-gpus writes -1 slots and failed_gpus; --previous reports moved slots', () => {
  const out = path.join(dir, 'p.json');
  let r = run('rebalance', dump, ...v3, '--policy', 'global', '--failed-gpus', '5,20', '--output', out);
  assert.equal(r.status, 0, r.stderr);
  const p = JSON.parse(readFileSync(out, 'utf8'));
  assert.deepEqual(p.failed_gpus, [5, 20]);
  assert.deepEqual(p.phy2log[10].slice(45, 54), new Array(9).fill(-1));
  const prev = path.join(dir, 'prev.json');
  assert.equal(run('rebalance', dump, ...v3, '--policy', 'global', '--output', prev).status, 0);
  r = run('rebalance', dump, ...v3, '--policy', 'global', '--failed-gpus', '5', '--previous', prev, '--stats', '--output', out);
  assert.equal(r.status, 0, r.stderr);
  const q = JSON.parse(readFileSync(out, 'utf8'));
  assert.ok(q.stats.moved_slots > 0 && q.stats.moved_slots < 0.2 * 61 * 279, String(q.stats.moved_slots));
  assert.deepEqual(q.stats.failed_gpus, [5]);
  r = run('evaluate', '--placement', out, dump);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).failed_gpus, [5]);
});

test('eplb rebalance --failed-gpus mistakes: exit 2, one line, nothing written', () => {
  const out = path.join(dir, 'bad.json');
  const all = Array.from({ length: 32 }, (_, g) => g).join(',');
  const most = Array.from({ length: 28 }, (_, g) => g + 4).join(',');
  for (const [flags, message] of [
    [['--failed-gpus', '32'], /failed GPU 32 is not a GPU index in \[0, 32\)/],
    [['--failed-gpus', all], /every GPU/],
    [['--failed-gpus', most], /fewer than the 256 experts/],
    [['--failed-gpus', '1,x'], /--failed-gpus takes GPU indices/],
    [['--failed-gpus', '3,3'], /listed twice/],
    [['--failed-gpus', '5', '--policy', 'hierarchical'], /node 0: 63 live slots/],
    [['--failed-gpus', '5', '--format', 'sglang'], /--format sglang cannot express failed GPUs/],
    [['--failed-gpus', '5', '--format', 'trtllm', '--drop-dense'], /--format trtllm cannot express failed GPUs/],
  ]) {
    const r = run('rebalance', dump, ...v3, ...flags, '--output', out);
    assert.equal(r.status, 2, flags.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
    assert.ok(!existsSync(out), 'an output file was written');
  }
});
