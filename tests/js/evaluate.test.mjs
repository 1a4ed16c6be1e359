// evaluate() against a small independent computation written here from SPEC section 4.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eplb, realLoads } from './helpers.mjs';

/** SPEC 4 from scratch: loads split equally over replicas, summed per GPU. */
function simulate(phy2log, L, R, w, E, G, groups, nodes) {
  const counts = new Array(L * E).fill(0);
  for (let l = 0; l < L; l++) for (let s = 0; s < R; s++) counts[l * E + phy2log[l * R + s]]++;
  const gpu = [];
  let sumMean = 0, sumMax = 0, sumRepMean = 0, sumRepMax = 0, home = 0, total = 0;
  for (let l = 0; l < L; l++) {
    const loads = new Array(G).fill(0);
    const served = Array.from({ length: groups }, () => new Array(nodes).fill(0));
    let repMax = 0, W = 0;
    for (let e = 0; e < E; e++) W += w[l * E + e];
    for (let s = 0; s < R; s++) {
      const e = phy2log[l * R + s];
      const x = w[l * E + e] / counts[l * E + e];
      loads[Math.floor(s / (R / G))] += x;
      served[Math.floor(e / (E / groups))][Math.floor(s / (R / nodes))] += x;
      repMax = Math.max(repMax, x);
    }
    gpu.push(loads);
    sumMean += W / G;
    sumMax += Math.max(...loads);
    sumRepMean += W / R;
    sumRepMax += repMax;
    total += W;
    for (const g of served) home += Math.max(...g);
  }
  return { gpu, gpuBal: sumMean / sumMax, repBal: sumRepMean / sumRepMax, home: home / total };
}

const close = (a, b, what) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

test('a placement made on one real file, measured on another, agrees with the simulation', () => {
  const a = realLoads('prefill_in4096.json'), b = realLoads('decode_in500out1500.json');
  for (const t of [{ replicas: 288, groups: 8, nodes: 4, gpus: 32 }, { replicas: 320, groups: 8, nodes: 1, gpus: 64 }]) {
    const p = eplb.rebalance(a, t);
    const ev = eplb.evaluate(p, b);
    const sim = simulate(p.phy2log, 58, t.replicas, b.data, 256, t.gpus, t.groups, t.nodes);
    close(ev.balancednessGpu, sim.gpuBal, 'balancedness (GPU)');
    close(ev.balancednessReplica, sim.repBal, 'balancedness (replica)');
    close(ev.homeNodeFraction, sim.home, 'home-node fraction');
    assert.equal(ev.gpuLoads.length, 58 * t.gpus);
    for (let l = 0; l < 58; l++) {
      for (let g = 0; g < t.gpus; g++) close(ev.gpuLoads[l * t.gpus + g], sim.gpu[l][g], `gpu load ${l},${g}`);
      close(ev.layerMaxGpuLoad[l], Math.max(...sim.gpu[l]), `layer ${l} max`);
    }
    assert.ok(ev.upperBound >= ev.balancednessGpu && ev.upperBound <= 1);
    close(ev.gapToBound, ev.upperBound - ev.balancednessGpu, 'gap');
    for (const k of ['layerBalancednessGpu', 'layerBalancednessReplica', 'layerUpperBound', 'layerMaxGpuLoad'])
      assert.ok(ev[k] instanceof Float64Array && ev[k].length === 58, k);
    assert.equal(ev.movedSlots, null);
  }
});

test('a placement from another tool: phy2log only, nested or typed, with the topology as options', () => {
  const w = [[10, 1, 1, 4], [2, 2, 2, 2]];
  const phy2log = [[0, 1, 0, 2, 3, 0], [3, 2, 1, 0, 0, 1]];
  const ev = eplb.evaluate({ phy2log }, w, { gpus: 3, nodes: 1, groups: 2 });
  const sim = simulate(phy2log.flat(), 2, 6, w.flat(), 4, 3, 2, 1);
  close(ev.balancednessGpu, sim.gpuBal, 'GPU');
  close(ev.balancednessReplica, sim.repBal, 'replica');
  const typed = eplb.evaluate({ phy2log: Int32Array.from(phy2log.flat()), layers: 2, replicas: 6 }, w, { gpus: 3, nodes: 1, groups: 2 });
  assert.deepEqual(typed.gpuLoads, ev.gpuLoads);
  // Hand check of layer 0: expert 0 has 3 replicas (10/3 each); GPUs hold slots {0,1}, {2,3}, {4,5}.
  close(ev.gpuLoads[0], 10 / 3 + 1, 'gpu 0');
  close(ev.gpuLoads[1], 10 / 3 + 1, 'gpu 1');
  close(ev.gpuLoads[2], 4 + 10 / 3, 'gpu 2');
});

test('moved slots count the slots whose expert changed', () => {
  const w = realLoads('prefill_in512.json');
  const t = { replicas: 288, groups: 8, nodes: 4, gpus: 32 };
  const p = eplb.rebalance(w, t);
  const q = eplb.rebalance(realLoads('decode_in2000out100.json'), t);
  const ev = eplb.evaluate(q, w, { previous: p });
  let moved = 0;
  for (let i = 0; i < p.phy2log.length; i++) moved += p.phy2log[i] !== q.phy2log[i] ? 1 : 0;
  assert.equal(ev.movedSlots, moved);
  assert.equal(ev.layerMovedSlots.reduce((a, b) => a + b, 0), moved);
  assert.equal(eplb.evaluate(p, w, { previous: p }).movedSlots, 0);
});

test('options override the topology recorded in the placement', () => {
  const w = realLoads('prefill_in512.json');
  const p = eplb.rebalance(w, { replicas: 288, groups: 8, nodes: 4, gpus: 32 });
  const ev = eplb.evaluate(p, w, { gpus: 8, nodes: 2 });
  assert.equal(ev.gpuLoads.length, 58 * 8);
  const sim = simulate(p.phy2log, 58, 288, w.data, 256, 8, 8, 2);
  close(ev.balancednessGpu, sim.gpuBal, 'GPU');
  close(ev.homeNodeFraction, sim.home, 'home');
});

test('evaluationToJSON: the keys and values eplb evaluate prints, nested per layer and GPU', () => {
  const w = realLoads('prefill_in1024.json');
  const topo = { replicas: 288, groups: 8, nodes: 4, gpus: 32 };
  const p = eplb.rebalance(w, topo);
  const prev = eplb.rebalance(realLoads('prefill_in2048.json'), topo);
  const ev = eplb.evaluate(p, w, { previous: prev });
  const j = eplb.evaluationToJSON(ev);
  assert.equal(j.balancedness_gpu, ev.balancednessGpu);
  assert.equal(j.moved_slots, ev.movedSlots);
  assert.deepEqual(j.layer_max_gpu_load, Array.from(ev.layerMaxGpuLoad));
  assert.deepEqual(j.layer_moved_slots, Array.from(ev.layerMovedSlots));
  assert.equal(j.gpu_loads.length, w.layers);
  assert.deepEqual(j.gpu_loads[3], Array.from(ev.gpuLoads.subarray(3 * 32, 4 * 32)));
  assert.equal(j.failed_gpus, undefined);
  assert.deepEqual(JSON.parse(JSON.stringify(j)), j);
  assert.throws(() => eplb.evaluationToJSON({ balancednessGpu: 1 }), /evaluationToJSON takes an evaluation returned by evaluate/);
});
