// The dashboard at its edges: Cancel while a field is being edited stops the run and
// starts none; times exclude the module's warm-up; bars equal to 3 decimals say so; the max and
// mean labels stay apart; replica-map and GPU labels stay readable at 32 nodes; 4,096 layers do
// not freeze the page. Called by dashboard.test.mjs with its page and `check`.
import path from 'node:path';
import { runAll } from '../../web/src/compute.js';

const boxesOverlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

async function waitIdle(page, ready, timeout = 120000) {
  await page.waitForFunction((k) => Number(document.body.dataset.ready || 0) >= k && document.body.dataset.busy === '0', ready, { timeout });
}
const readyCount = (page) => page.evaluate(() => Number(document.body.dataset.ready || 0));

async function setTopology(page, t) {
  const ready = await readyCount(page);
  for (const [k, v] of Object.entries(t)) await page.fill(`#${k}`, String(v));
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await waitIdle(page, ready + 1);
}

// Deterministic loads of `layers` x `experts`, skewed like real routing; `flat`: all equal.
function matrix(layers, experts, flat = false) {
  let s = 7;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Array.from({ length: layers }, () => Array.from({ length: experts }, () => (flat ? 1000 : Math.round(100 * Math.exp(3 * rnd())))));
}

export async function checkLimits({ page, eplb, check, shots, bigInput }) {
  // Warm-up: the first call of each algorithm in a module is untimed, once.
  const calls = [];
  const counting = { ...eplb, rebalance: (w, o) => (calls.push(o.algorithm), eplb.rebalance(w, o)), evaluate: eplb.evaluate };
  const warmed = new Set();
  const w = { data: new Float64Array(58 * 256).fill(1), layers: 58, experts: 256 };
  runAll(counting, w, { replicas: 288, groups: 8, nodes: 4, gpus: 32 }, ['default', 'deepseek'], () => {}, undefined, [], warmed);
  const first = calls.length;
  runAll(counting, w, { replicas: 288, groups: 8, nodes: 4, gpus: 32 }, ['default', 'deepseek'], () => {}, undefined, [], warmed);
  check(first > 2 && calls.length - first === 2, 'times: untimed warm-up calls on the first run of each algorithm only', `${first} calls, then ${calls.length - first}`);
  const note = await page.textContent('.table-note');
  check(/after a warm-up/.test(note), 'times: the table says they follow a warm-up', note.slice(0, 80));

  // 1. Cancel while a field is being edited: the field's blur (pointer down on Cancel) must not
  // start the run again.
  // Four times the large input's layers: a run of seconds, so that the field and the click of
  // Cancel surely fall inside it on a busy machine.
  const longer = JSON.parse(bigInput);
  for (const step of longer.load_history) step.logical_expert_load = Array(4).fill(step.logical_expert_load).flat();
  const before = await readyCount(page);
  await page.setInputFiles('#file', { name: 'long.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(longer)) });
  await page.waitForSelector('#cancel:not([hidden])', { timeout: 10000 });
  await page.fill('#replicas', '320');
  await page.click('#cancel');
  await page.waitForTimeout(1500);
  const after = await page.evaluate(() => ({ busy: document.body.dataset.busy, ready: Number(document.body.dataset.ready), progress: !document.getElementById('progressBox').hidden, stale: document.getElementById('results').classList.contains('stale') }));
  check(after.busy === '0' && after.ready === before && !after.progress, 'Cancel with a field being edited: the run stops and no other starts', JSON.stringify(after));
  check(after.stale, 'Cancel with a field being edited: the results are marked as not matching the settings');
  await page.fill('#replicas', '288');
  await page.selectOption('#dataset', 'prefill_in512.json');
  await waitIdle(page, before + 1);

  // 2. Equal bars say so; the max and mean labels stay apart (an even load: max = mean).
  let ready = await readyCount(page);
  await page.setInputFiles('#file', { name: 'even.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(matrix(8, 256, true))) });
  await waitIdle(page, ready + 1);
  const even = await page.evaluate(() => {
    const box = (sel) => { const r = document.querySelector(sel)?.getBoundingClientRect(); return r && { x: r.x, y: r.y, width: r.width, height: r.height }; };
    return {
      legend: document.querySelector('.plot-balancedness .same-legend')?.textContent ?? '',
      marks: document.querySelectorAll('.plot-balancedness .bal-same text').length,
      note: document.querySelector('.plot-gpu-bars .equal-note')?.textContent ?? '',
      max: box('.plot-gpu-bars .mark-max-label'),
      mean: box('.plot-gpu-bars .mark-mean-label'),
    };
  });
  check(/equal to 3 decimals \(8 of 8 layers\)/.test(even.legend) && even.marks === 8, 'bars equal to 3 decimals: marked and counted in the legend', `${even.legend} · ${even.marks} marks`);
  check(/equal to 3 decimals/.test(even.note), 'GPU bars equal to 3 decimals: said above the plot', even.note);
  check(even.max && even.mean && !boxesOverlap(even.max, even.mean), 'max and mean labels do not overlap when max = mean', JSON.stringify([even.max, even.mean]));
  await page.locator('#gpuPlot').screenshot({ path: path.join(shots, 'gpu-bars-even.png') });

  // 3. 32 nodes: the labels of the replica map and the GPU bars do not overlap.
  ready = await readyCount(page);
  await page.setInputFiles('#file', { name: 'skewed.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(matrix(6, 256))) });
  await waitIdle(page, ready + 1);
  await setTopology(page, { replicas: 512, groups: 32, nodes: 32, gpus: 32 });
  const labels = await page.evaluate(() => {
    const boxes = (sel) => [...document.querySelectorAll(sel)].map((e) => { const r = e.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; });
    return { map: boxes('.plot-replica-map .node-label'), bars: boxes('.plot-gpu-bars .node-label') };
  });
  const overlaps = (bs) => bs.some((a, i) => bs.some((b, j) => i < j && boxesOverlap(a, b)));
  check(labels.map.length >= 16 && !overlaps(labels.map), `replica map at 32 nodes: ${labels.map.length} node labels, none overlapping`);
  check(labels.bars.length >= 16 && !overlaps(labels.bars), `GPU bars at 32 nodes: ${labels.bars.length} node labels, none overlapping`);
  await page.locator('#replicaPlot').screenshot({ path: path.join(shots, 'replica-map-32-nodes.png') });
  await setTopology(page, { replicas: 288, groups: 8, nodes: 4, gpus: 32 });

  // 4. A file over 16 MiB goes to the worker as a File, read a chunk at a time (never a string):
  // a 300-step history of 61 x 256, about 21 MB.
  const step = (k) => JSON.stringify({ logical_expert_load: matrix(61, 256).map((row, l) => row.map((v, e) => (l < 3 ? 0 : (v * (1 + ((k + e) % 7))) % 9973))) });
  const steps = Array.from({ length: 10 }, (_, k) => step(k));
  const history = `{"load_history":[${Array.from({ length: 300 }, (_, k) => steps[k % 10]).join(',')}]}`;
  ready = await readyCount(page);
  await page.setInputFiles('#file', { name: 'history-21mb.json', mimeType: 'application/json', buffer: Buffer.from(history) });
  await waitIdle(page, ready + 1, 300000);
  const info = await page.textContent('#inputInfo');
  const hw = eplb.readLoads(history, { dropDense: true });
  const want = eplb.evaluate(eplb.rebalance(hw, { replicas: 288, groups: 8, nodes: 4, gpus: 32 }), hw).balancednessGpu;
  const [[, shownBal]] = await page.$$eval('table.summary tbody tr', (rows) => rows.map((r) => [r.dataset.alg, r.querySelector('td[data-key="balancednessGpu"]').textContent]));
  check(history.length > 16 * 2 ** 20 && /300 steps summed/.test(info) && Math.abs(Number(shownBal) - want) < 6e-5,
    `a ${Math.round(history.length / 1e6)} MB history read by the worker in chunks: figures = evaluate`, `${shownBal} vs ${want.toFixed(6)}`);

  // 5. 4,096 layers: the page is never frozen long (the largest task on the main thread).
  await page.evaluate(() => {
    window.__long = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(e.duration); }).observe({ type: 'longtask' });
  });
  ready = await readyCount(page);
  await page.setInputFiles('#file', { name: 'layers4096.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(matrix(4096, 64))) });
  await waitIdle(page, ready + 1, 300000);
  await page.click('#worstLayer');
  await page.waitForTimeout(300);
  const big = await page.evaluate(() => ({
    longest: Math.max(0, ...window.__long),
    bars: document.querySelectorAll('.plot-balancedness .bal-series rect').length,
    options: document.getElementById('detailLayer').options.length,
  }));
  check(big.longest < 1000, '4,096 layers: no main-thread task of a second or more', `longest ${Math.round(big.longest)} ms`);
  check(big.bars < 2 * 600 && big.options <= 257, '4,096 layers: bars binned to the plot width, the layer list to the worst layers', `${big.bars} bars, ${big.options} options`);
  await page.locator('#balPlot').screenshot({ path: path.join(shots, 'balancedness-4096-layers.png') });
  // Back to a bundled file for what follows.
  ready = await readyCount(page);
  await page.selectOption('#dataset', 'prefill_in512.json');
  await waitIdle(page, ready + 1);
}
