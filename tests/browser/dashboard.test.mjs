// Real-browser test of the dashboard: headless Debian Chromium driven by playwright-core.
// Serves the built page, runs placements, and checks that the table and the plots show the
// figures `evaluate` gives in Node for the same input; uploads malformed files and a large
// input; saves screenshots under web/build/screenshots/. Exits non-zero on any failure.
//   node tests/browser/dashboard.test.mjs        (CHROMIUM=/path overrides /usr/bin/chromium)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../web/serve.mjs';
import { runAll } from '../../web/src/compute.js';
import { checkLimits } from './limits.mjs';
import { checkTimeline } from './timeline.mjs';
import { checkPlan } from './plan.mjs';
import { checkHistory } from './history.mjs';
import { checkFailures } from './failures.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shots = path.join(root, 'web', 'build', 'screenshots');
const dataDir = path.join(root, 'data', 'deepseek-v3-sglang');
const TOPOLOGY = { replicas: 288, groups: 8, nodes: 4, gpus: 32 };
const FILE = 'prefill_in512.json';

let failures = 0, passes = 0;
function check(ok, what, detail = '') {
  if (ok) passes++;
  else failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` — ${String(detail).replace(/\s+/g, ' ')}` : ''}`);
}
const close = (a, b, tol) => Math.abs(a - b) <= tol;

async function loadPackage() {
  const mod = process.env.EPLB_WASM_ENTRY ? await import(pathToFileURL(path.resolve(process.env.EPLB_WASM_ENTRY)).href) : await import('eplb-wasm');
  return mod.loadEplb();
}

// What the page should show, computed in Node with the package.
function expected(eplb, text, algorithms, topology = TOPOLOGY) {
  const w = eplb.readLoads(text, { dropDense: true });
  const weights = { data: w.data, layers: w.layers, experts: w.experts };
  const runs = {};
  for (const algorithm of algorithms) {
    const p = eplb.rebalance(weights, { ...topology, algorithm });
    runs[algorithm] = { p, ev: eplb.evaluate(p, weights) };
  }
  return { w, runs };
}

// Deterministic synthetic loads, skewed like real routing: a vLLM-style history of `steps`
// matrices of many layers.
function largeInput(steps, layers, experts) {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const matrix = () => Array.from({ length: layers }, () => Array.from({ length: experts }, () => Math.round(100 * Math.exp(3 * rnd()))));
  return JSON.stringify({ load_history: Array.from({ length: steps }, () => ({ logical_expert_load: matrix() })) });
}

async function tableValues(page, key) {
  return page.$$eval('table.summary tbody tr', (rows, k) => rows.map((r) => [r.dataset.alg, r.querySelector(`td[data-key="${k}"]`).textContent]), key);
}

async function waitReady(page, n, timeout = 60000) {
  await page.waitForFunction((k) => Number(document.body.dataset.ready || 0) >= k && document.body.dataset.busy === '0', n, { timeout });
}

// The worker balances all layers in one call and reports progress a range of layers at a time:
// the placement equals a plain rebalance call, and the ranges cover the layers in order.
function checkProgress(eplb, algorithms) {
  const w = eplb.readLoads(fs.readFileSync(path.join(dataDir, FILE), 'utf8'), { dropDense: true });
  const weights = { data: w.data, layers: w.layers, experts: w.experts };
  const labels = [];
  const runs = runAll(eplb, weights, { ...TOPOLOGY, policy: 'auto' }, algorithms, (done, total, label) => labels.push(label), 3000);
  for (const r of runs) {
    const whole = eplb.rebalance(weights, { ...TOPOLOGY, algorithm: r.algorithm });
    const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
    const ranges = labels.map((l) => l.match(new RegExp(`^${r.algorithm}: layers (\\d+)–(\\d+) of ${w.layers}$`))).filter(Boolean).map((m) => [Number(m[1]), Number(m[2])]);
    const contiguous = ranges.length > 1 && ranges[0][0] === 1 && ranges.at(-1)[1] === w.layers && ranges.every(([a], i) => i === 0 || a === ranges[i - 1][1] + 1);
    const ok = same(r.placement.phy2log, whole.phy2log) && same(r.placement.logcnt, whole.logcnt) &&
      r.placement.maxReplicas === whole.maxReplicas && same(r.placement.log2phy, whole.log2phy);
    check(ok && contiguous, `placement with progress (${ranges.length} ranges of layers) = one rebalance call: ${r.algorithm}`);
  }
}

async function main() {
  const eplb = await loadPackage();
  checkProgress(eplb, eplb.algorithms());
  const server = await serve({ port: 0, quiet: true });
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'eplb-chromium-'));
  const ctx = await chromium.launchPersistentContext(userDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1440, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const errors = [];
  try {
    const page = ctx.pages()[0] || (await ctx.newPage());
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(server.url, { waitUntil: 'load' });

    // 1. The page computes the default file on its own.
    await waitReady(page, 1);
    const algorithms = await page.$$eval('#algorithms input:checked', (els) => els.map((e) => e.value));
    check(algorithms.includes('default') && algorithms.includes('deepseek'), 'default and deepseek preselected', algorithms.join(', '));
    const topo = await page.evaluate(() => ['replicas', 'groups', 'nodes', 'gpus'].map((k) => Number(document.getElementById(k).value)));
    check(topo.join('/') === '288/8/4/32', 'default topology 288/8/4/32', topo.join('/'));

    // 2. Pick a bundled file and compare every figure shown with evaluate in Node.
    await page.selectOption('#dataset', FILE);
    await waitReady(page, 2);
    const exp = expected(eplb, fs.readFileSync(path.join(dataDir, FILE), 'utf8'), algorithms);
    const L = exp.w.layers, G = TOPOLOGY.gpus, R = TOPOLOGY.replicas, E = exp.w.experts;
    check(L === 58 && E === 256, `${FILE}: 58 MoE layers x 256 experts read`, `${L} x ${E}`);

    const table = await page.$$eval('table.summary tbody tr', (rows) => rows.map((r) => ({
      alg: r.dataset.alg, cells: Object.fromEntries([...r.querySelectorAll('td[data-key]')].map((td) => [td.dataset.key, td.textContent.trim()])),
    })));
    check(table.length === algorithms.length, 'one table row per algorithm', `${table.length} rows`);
    for (const row of table) {
      const ev = exp.runs[row.alg].ev;
      for (const key of ['balancednessGpu', 'balancednessReplica', 'upperBound', 'gapToBound', 'homeNodeFraction']) {
        const shown = Number(row.cells[key]);
        check(close(shown, ev[key], 6e-5), `table ${row.alg} ${key} = evaluate`, `page ${row.cells[key]}, node ${ev[key].toFixed(6)}`);
      }
      check(Number(row.cells.maxReplicas) === exp.runs[row.alg].p.maxReplicas, `table ${row.alg} max replicas`, row.cells.maxReplicas);
      check(Number(row.cells.timeMs) > 0, `table ${row.alg} time shown`, `${row.cells.timeMs} ms`);
    }

    const bars = await page.$$eval('.plot-balancedness .bal-series', (gs) => gs.map((g) => ({
      alg: g.dataset.alg, titles: [...g.querySelectorAll('rect title')].map((t) => t.textContent),
    })));
    check(bars.length === algorithms.length, 'balancedness plot has one series per algorithm', `${bars.length}`);
    for (const s of bars) {
      const ev = exp.runs[s.alg].ev;
      let worst = 0;
      s.titles.forEach((t, l) => {
        const m = /balancedness ([\d.]+) \(upper bound ([\d.]+)\)/.exec(t);
        const d = m ? Math.max(Math.abs(Number(m[1]) - ev.layerBalancednessGpu[l]), Math.abs(Number(m[2]) - ev.layerUpperBound[l])) : 1;
        worst = Math.max(worst, d);
      });
      check(s.titles.length === L && worst <= 6e-5, `balancedness plot ${s.alg}: ${L} layers match evaluate`, `largest difference ${worst.toExponential(1)}`);
    }

    // Layer detail: the worst layer of the first algorithm is selected by default.
    const first = exp.runs[algorithms[0]].ev;
    const worstLayer = first.layerBalancednessGpu.indexOf(Math.min(...first.layerBalancednessGpu));
    const layerShown = Number(await page.inputValue('#detailLayer'));
    check(layerShown === worstLayer, 'detail shows the worst layer', `layer ${layerShown} (model layer ${exp.w.keptLayers[layerShown]})`);
    const gpu = await page.$$eval('.plot-gpu-bars .gpu-bars rect', (rs) => rs.map((r) => r.querySelector('title').textContent));
    const maxLabel = await page.textContent('.plot-gpu-bars .mark-max-label');
    const meanLabel = await page.textContent('.plot-gpu-bars .mark-mean-label');
    let gpuDiff = 0, sum = 0;
    gpu.forEach((t, g) => {
      const v = Number(/: ([\d,.]+) tokens/.exec(t)[1].replace(/,/g, ''));
      const want = first.gpuLoads[layerShown * G + g];
      sum += want;
      gpuDiff = Math.max(gpuDiff, Math.abs(v - want) / Math.max(1, want));
    });
    check(gpu.length === G && gpuDiff < 1e-3, `GPU bars: ${G} GPU loads match evaluate`, `largest relative difference ${gpuDiff.toExponential(1)}`);
    const maxShown = Number(maxLabel.replace(/[^\d.]/g, ''));
    check(close(maxShown, first.layerMaxGpuLoad[layerShown], 0.5 + 1e-3 * maxShown), 'GPU bars: max marked = layerMaxGpuLoad', maxLabel);
    const meanShown = Number(meanLabel.replace(/[^\d.]/g, ''));
    check(close(meanShown, sum / G, 0.5 + 1e-3 * meanShown), 'GPU bars: mean marked', meanLabel);

    const hottest = await page.textContent('#hottest');
    let hot = { r: 0 };
    for (let l = 0; l < L; l++) {
      let s = 0;
      for (let g = 0; g < G; g++) s += first.gpuLoads[l * G + g];
      for (let g = 0; g < G; g++) { const r = first.gpuLoads[l * G + g] / (s / G); if (r > hot.r) hot = { r, l, g }; }
    }
    check(hottest.includes(`layer ${exp.w.keptLayers[hot.l]}, GPU ${hot.g}, ${hot.r.toFixed(2)}×`), 'heat map: hottest GPU matches evaluate', hottest);

    const slots = await page.$$eval('.plot-replica-map rect[data-slot]', (rs) => rs.map((r) => Number(r.dataset.expert)));
    const p2l = Array.from(exp.runs[algorithms[0]].p.phy2log.subarray(layerShown * R, (layerShown + 1) * R));
    check(slots.length === R && slots.every((e, i) => e === p2l[i]), `replica map: ${R} slots match phy2log`);

    const plots = await page.evaluate(() => [...document.querySelectorAll('canvas, svg')].filter((e) => {
      const r = e.getBoundingClientRect();
      return r.width > 150 && r.height > 100;
    }).length);
    check(plots >= 4, 'four plots visible', `${plots}`);
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'dashboard.png'), fullPage: true });

    // 3. A placement JSON download has the SPEC section 2 keys.
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`button[data-download="placement"][data-alg="${algorithms[1]}"]`)]);
    const doc = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
    const ok = doc.phy2log.length === L && doc.phy2log[0].length === R && doc.logcnt[0].length === E && doc.log2phy[0].length === E &&
      doc.num_replicas === R && doc.num_gpus === G && doc.phy2log.flat().every((e, i) => e === exp.runs[algorithms[1]].p.phy2log[i]);
    check(ok, 'placement download: SPEC keys, topology, phy2log as computed in Node', dl.suggestedFilename());
    const [dlm] = await Promise.all([page.waitForEvent('download'), page.click('#dlMeasures')]);
    const measures = JSON.parse(fs.readFileSync(await dlm.path(), 'utf8'));
    const mOk = measures.results.length === algorithms.length && measures.results.every((r) =>
      close(r.balancedness_gpu, exp.runs[r.algorithm].ev.balancednessGpu, 1e-12) && r.layer_balancedness_gpu.length === L && r.gpu_loads.length === L);
    check(mOk, 'measures download: every algorithm, per-layer figures, equal to evaluate', dlm.suggestedFilename());

    // 4. A file of another format that carries its own topology (the reference README example).
    const readmeText = fs.readFileSync(path.join(root, 'tests', 'data', 'golden', 'readme.json'), 'utf8');
    let ready = Number(await page.evaluate(() => document.body.dataset.ready));
    await page.setInputFiles('#file', path.join(root, 'tests', 'data', 'golden', 'readme.json'));
    await waitReady(page, ready + 1);
    const topoFile = await page.evaluate(() => ['replicas', 'groups', 'nodes', 'gpus'].map((k) => Number(document.getElementById(k).value)));
    check(topoFile.join('/') === '16/4/2/8', 'readme.json: topology keys of the file applied', topoFile.join('/'));
    const info = await page.textContent('#inputInfo');
    check(/format weight/.test(info) && /2 MoE layers/.test(info), 'readme.json: format and shape shown', info.slice(0, 90));
    const expReadme = expected(eplb, readmeText, algorithms, { replicas: 16, groups: 4, nodes: 2, gpus: 8 });
    for (const [alg, v] of await tableValues(page, 'balancednessGpu')) {
      check(close(Number(v), expReadme.runs[alg].ev.balancednessGpu, 6e-5), `readme.json: ${alg} balancedness = evaluate`, `${v} vs ${expReadme.runs[alg].ev.balancednessGpu.toFixed(6)}`);
    }
    // Back to the DeepSeek-V3 topology and a bundled file (fields apply when they lose focus).
    for (const [k, v] of Object.entries(TOPOLOGY)) await page.fill(`#${k}`, String(v));
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    await page.selectOption('#dataset', FILE);
    await page.waitForFunction((f) => document.body.dataset.busy === '0' && document.getElementById('inputInfo').textContent.includes(f) &&
      document.getElementById('gpus').value === '32', FILE, { timeout: 30000 });
    await page.waitForTimeout(300);
    await page.waitForFunction(() => document.body.dataset.busy === '0');
    check(!(await page.isVisible('#error')), 'topology edits and a bundled file give a clean state', (await page.textContent('#error')).slice(0, 100));

    // A file dropped on the drop zone is read like a chosen one.
    ready = Number(await page.evaluate(() => document.body.dataset.ready));
    const dropped = await page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'dropped-matrix.json', { type: 'application/json' }));
      return dt;
    }, JSON.stringify(JSON.parse(fs.readFileSync(path.join(dataDir, FILE), 'utf8')).logical_count));
    await page.dispatchEvent('#dropzone', 'drop', { dataTransfer: dropped });
    await waitReady(page, ready + 1);
    const dropInfo = await page.textContent('#inputInfo');
    const [[, dropBal]] = await tableValues(page, 'balancednessGpu');
    check(/dropped-matrix\.json · format matrix/.test(dropInfo) && close(Number(dropBal), exp.runs[algorithms[0]].ev.balancednessGpu, 6e-5),
      'dropped bare matrix: read, and the same figures as the SGLang dump', `${dropInfo.slice(0, 60)} · ${dropBal}`);

    // 5. Malformed files: a clear message on the page, the page stays responsive.
    const bad = [
      ['truncated.json', '{"logical_count": [[1, 2, 3], [4, 5'],
      ['ragged.json', '[[1, 2, 3, 4], [5, 6]]'],
      ['negative.json', '{"weight": [[1, -2, 3, 4]]}'],
      ['notloads.json', '{"hello": "world"}'],
    ];
    for (const [name, text] of bad) {
      await page.setInputFiles('#file', { name, mimeType: 'application/json', buffer: Buffer.from(text) });
      await page.waitForFunction((n) => !document.getElementById('error').hidden && document.getElementById('error').textContent.includes(n), name, { timeout: 15000 });
      const msg = (await page.textContent('#error')).trim();
      check(msg.includes(name) && msg.length > name.length + 25, `malformed ${name}: message shown`, msg.replace(/\s+/g, ' ').slice(0, 160));
      const t0 = Date.now();
      await page.evaluate(() => 1 + 1);
      check(Date.now() - t0 < 1000, `page responsive after ${name}`);
      if (name === 'truncated.json') await page.screenshot({ path: path.join(shots, 'dashboard-error.png'), fullPage: false });
    }

    // 6. A large input runs in the worker with progress, and matches evaluate in Node.
    const big = largeInput(3, 600, 256);
    await page.evaluate(() => {
      window.__labels = [];
      new MutationObserver(() => window.__labels.push(document.getElementById('progressLabel').textContent))
        .observe(document.getElementById('progressLabel'), { childList: true, characterData: true, subtree: true });
    });
    const before = Number(await page.evaluate(() => document.body.dataset.ready));
    const tStart = Date.now();
    await page.setInputFiles('#file', { name: 'large.json', mimeType: 'application/json', buffer: Buffer.from(big) });
    // While it runs, the main thread keeps answering.
    let slowest = 0;
    while (await page.evaluate(() => document.body.dataset.busy === '1')) {
      const t = Date.now();
      await page.evaluate(() => 0);
      slowest = Math.max(slowest, Date.now() - t);
    }
    await waitReady(page, before + 1, 120000);
    const labels = await page.evaluate(() => window.__labels);
    check(labels.some((l) => /layers \d+–\d+ of 600 · \d+%/.test(l)), 'large input: progress shown per range of layers', labels.filter((l) => l.includes('%')).slice(0, 3).join(' | '));
    check(slowest < 500, 'large input: page not frozen while computing', `slowest round trip ${slowest} ms, run ${Date.now() - tStart} ms`);
    const expBig = expected(eplb, big, algorithms);
    for (const [alg, v] of await tableValues(page, 'balancednessGpu')) check(close(Number(v), expBig.runs[alg].ev.balancednessGpu, 6e-5), `large input: ${alg} balancedness = evaluate`, `${v} vs ${expBig.runs[alg].ev.balancednessGpu.toFixed(6)}`);
    const errShown = await page.isVisible('#error');
    check(!errShown, 'error message cleared after a good run');

    // 7. A long run can be cancelled; the page keeps the last results and can run again.
    const readyBefore = Number(await page.evaluate(() => document.body.dataset.ready));
    // Clicked from inside the page the moment it shows: a click from here may come after a short
    // run on a busy machine has ended (the button is hidden again).
    const cancelled = page.evaluate(() => new Promise((resolve, reject) => {
      const until = Date.now() + 10000;
      const poll = () => {
        const button = document.getElementById('cancel');
        if (!button.hidden) { button.click(); resolve(); } else if (Date.now() > until) reject(new Error('no Cancel button within 10 s')); else setTimeout(poll, 2);
      };
      poll();
    }));
    await page.setInputFiles('#file', { name: 'large-again.json', mimeType: 'application/json', buffer: Buffer.from(big) });
    await cancelled;
    await page.waitForFunction(() => document.body.dataset.busy === '0', null, { timeout: 5000 });
    const afterCancel = await page.evaluate(() => ({ ready: Number(document.body.dataset.ready), error: !document.getElementById('error').hidden, progress: !document.getElementById('progressBox').hidden }));
    check(afterCancel.ready === readyBefore && !afterCancel.error && !afterCancel.progress, 'cancel stops a run quietly', JSON.stringify(afterCancel));
    await page.selectOption('#dataset', 'prefill_in1024.json');
    await waitReady(page, readyBefore + 1);
    check((await page.textContent('#inputInfo')).includes('prefill_in1024.json'), 'a new run works after cancel');

    // A new choice while a run is going replaces it.
    await page.setInputFiles('#file', { name: 'large-replaced.json', mimeType: 'application/json', buffer: Buffer.from(big) });
    await page.waitForSelector('#cancel:not([hidden])', { timeout: 10000 });
    await page.selectOption('#dataset', 'decode_in2000out100.json');
    const busyAfterSwitch = await page.evaluate(() => new Promise((r) => setTimeout(() => r(document.body.dataset.busy), 100)));
    await page.waitForFunction(() => document.body.dataset.busy === '0' && document.getElementById('inputInfo').textContent.includes('decode_in2000out100'), null, { timeout: 30000 });
    check(busyAfterSwitch === '1' && !(await page.isVisible('#error')), 'a run replaced by a new choice: busy until the new one ends, no error');

    // 7a. The placement view at its edges (tests/browser/limits.mjs).
    await checkLimits({ page, eplb, check, shots, bigInput: big });

    // 7b. Several files as a history (tests/browser/history.mjs).
    await checkHistory({ page, eplb, check, shots, dataDir, waitReady });

    // 7c. Failed GPUs (tests/browser/failures.mjs).
    await checkFailures({ page, eplb, check, shots, dataDir, waitReady });

    // 8. The timeline view (tests/browser/timeline.mjs).
    await checkTimeline({ page, eplb, check, shots, dataDir });

    // 9. The plan view (tests/browser/plan.mjs).
    await checkPlan({ page, eplb, check, shots, dataDir });
  } finally {
    await ctx.close();
    server.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  check(errors.length === 0, 'no console errors', errors.slice(0, 3).join(' | '));
  console.log(`\n${passes} passed, ${failures} failed; screenshots in ${path.relative(root, shots)}/dashboard.png, dashboard-error.png, dashboard-failures.png, timeline.png and plan.png`);
  if (failures) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`browser test crashed: ${err.stack || err}`);
  process.exitCode = 1;
});
