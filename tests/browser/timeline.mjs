// The dashboard's timeline view, checked in the browser against the package in Node: a seeded
// synthetic series, the bundled dumps in a row, a load_history cut into windows of K steps, and
// files it must refuse. Called by dashboard.test.mjs with its page and `check`.
import fs from 'node:fs';
import path from 'node:path';
import { driftingSeries } from '../../js/synthetic.js';

const TOPOLOGY = { replicas: 288, groups: 8, nodes: 4, gpus: 32 };
const STRATEGIES = [
  { key: 'reference', algorithm: 'deepseek', incremental: false },
  { key: 'fresh', algorithm: 'default', incremental: false },
  { key: 'incremental', algorithm: 'default', incremental: true },
];

// Written here on purpose rather than imported from web/src/timeline/run.js: the page's loop is what is tested.
function expectedTimeline(eplb, windows, predictor, history) {
  const out = Object.fromEntries(STRATEGIES.map((s) => [s.key, { next: [], moved: [] }]));
  const prev = {};
  for (let i = 0; i + 1 < windows.length; i++) {
    const est = eplb.predictLoads(windows.slice(Math.max(0, i + 1 - history), i + 1), { predictor });
    for (const s of STRATEGIES) {
      const opts = { ...TOPOLOGY, algorithm: s.algorithm };
      if (s.incremental && prev[s.key]) opts.previous = prev[s.key];
      const p = eplb.rebalance(est, opts);
      const ev = eplb.evaluate(p, windows[i + 1], prev[s.key] ? { previous: prev[s.key] } : undefined);
      out[s.key].next.push(ev.balancednessGpu);
      out[s.key].moved.push(prev[s.key] ? ev.movedSlots : null);
      prev[s.key] = p;
    }
  }
  return out;
}

async function shown(page) {
  return page.evaluate(() => {
    const res = {};
    for (const g of document.querySelectorAll('.plot-timeline-balancedness .tl-series')) {
      res[g.dataset.strategy] = { next: [...g.querySelectorAll('circle')].map((c) => c.querySelector('title').textContent), moved: {} };
    }
    for (const g of document.querySelectorAll('.plot-timeline-moved .tl-moved')) {
      for (const r of g.querySelectorAll('rect')) res[g.dataset.strategy].moved[r.dataset.window] = Number(r.dataset.moved);
    }
    const table = {};
    for (const tr of document.querySelectorAll('table.tl-summary tbody tr')) {
      table[tr.dataset.strategy] = Object.fromEntries([...tr.querySelectorAll('td[data-key]')].map((td) => [td.dataset.key, td.textContent.trim()]));
    }
    return { plots: res, table };
  });
}

// Every figure of the page against the Node run: per window (balancedness, moved slots) and the table.
async function compare(page, check, exp, what) {
  const { plots, table } = await shown(page);
  const n = exp.reference.next.length;
  for (const s of STRATEGIES) {
    const e = exp[s.key], p = plots[s.key];
    if (!p) { check(false, `${what}: ${s.key} plotted`); continue; }
    const vals = p.next.map((t) => Number((/balancedness ([\d.]+)/.exec(t) || [])[1]));
    const worst = Math.max(...e.next.map((v, i) => Math.abs(v - vals[i])));
    check(vals.length === n && worst <= 6e-5, `${what}: ${s.key} next-window balancedness of ${n} windows = Node`, `largest difference ${worst.toExponential(1)}; ${vals.slice(0, 3).join(', ')}`);
    const movedOk = e.moved.every((m, i) => (m === null ? p.moved[i] === undefined : p.moved[i] === m));
    check(movedOk && n >= 2, `${what}: ${s.key} moved slots per window = Node`, e.moved.filter((m) => m !== null).join(', '));
    const mean = e.next.reduce((a, b) => a + b, 0) / n;
    const total = e.moved.reduce((a, b) => a + (b ?? 0), 0);
    const row = table[s.key] || {};
    check(Math.abs(Number(row.meanNext) - mean) <= 6e-5 && Number(String(row.totalMoved).replace(/,/g, '')) === total,
      `${what}: table ${s.key} mean balancedness and total moved = Node`, `${row.meanNext} / ${row.totalMoved} vs ${mean.toFixed(5)} / ${total}`);
    const refTotal = exp.reference.moved.reduce((a, b) => a + (b ?? 0), 0);
    check(row.movedVsReference === `${((100 * total) / refTotal).toFixed(1)}%`, `${what}: table ${s.key} moved vs reference`, row.movedVsReference);
  }
}

async function runAndWait(page, timeout = 120000) {
  const before = Number(await page.evaluate(() => document.body.dataset.tlReady || 0));
  await page.click('#run');
  await page.waitForFunction((k) => Number(document.body.dataset.tlReady || 0) > k && document.body.dataset.busy === '0', before, { timeout });
}

async function expectError(page, check, what, pattern) {
  await page.waitForFunction((name) => !document.getElementById('error').hidden && document.getElementById('error').textContent.includes(name) &&
    document.body.dataset.busy === '0', what, { timeout: 30000 });
  const msg = (await page.textContent('#error')).replace(/\s+/g, ' ').trim();
  check(pattern.test(msg), `timeline ${what}: clear message`, msg.slice(0, 170));
  const t0 = Date.now();
  await page.evaluate(() => 0);
  check(Date.now() - t0 < 1000, `timeline ${what}: page responsive`);
}

export async function checkTimeline({ page, eplb, check, shots, dataDir }) {
  // 1. Opening the tab runs the default synthetic series (58 x 256, 10 windows, seed 1).
  await page.click('#tabTimeline');
  await page.waitForFunction(() => Number(document.body.dataset.tlReady || 0) >= 1 && document.body.dataset.busy === '0', null, { timeout: 120000 });
  check(await page.isVisible('#tlBalPlot svg') && await page.isVisible('#tlMovedPlot svg') && !(await page.isVisible('#results')),
    'timeline tab: its plots shown, the placement view hidden');
  const predictors = await page.$$eval('#tlPredictor option', (os) => os.map((o) => o.value));
  check(predictors.join(',') === eplb.predictors().join(','), 'timeline: predictors listed from the package', predictors.join(', '));

  // 2. Another seed, fewer windows and another predictor; progress shown, page not frozen.
  await page.fill('#tlWindows', '5');
  await page.fill('#tlSeed', '7');
  await page.selectOption('#tlPredictor', 'ema');
  check((await page.inputValue('#tlHistory')) === '4', 'timeline: choosing ema raises the history to 4 windows');
  await page.fill('#tlHistory', '3');
  await page.evaluate(() => {
    window.__tlLabels = [];
    new MutationObserver(() => window.__tlLabels.push(document.getElementById('progressLabel').textContent))
      .observe(document.getElementById('progressLabel'), { childList: true, characterData: true, subtree: true });
  });
  const before = Number(await page.evaluate(() => document.body.dataset.tlReady));
  await page.click('#run');
  let slowest = 0;
  await page.waitForFunction(() => document.body.dataset.busy === '1', null, { timeout: 5000 }).catch(() => {});
  while (await page.evaluate(() => document.body.dataset.busy === '1')) {
    const t = Date.now();
    await page.evaluate(() => 0);
    slowest = Math.max(slowest, Date.now() - t);
    await page.waitForTimeout(20);
  }
  await page.waitForFunction((k) => Number(document.body.dataset.tlReady) > k, before, { timeout: 120000 });
  const labels = await page.evaluate(() => window.__tlLabels);
  check(labels.some((l) => /window \d of 4: incremental .* · \d+%/.test(l)), 'timeline: progress per window and strategy', labels.filter((l) => l.includes('%')).slice(1, 3).join(' | '));
  check(slowest < 500, 'timeline: page not frozen while computing', `slowest round trip ${slowest} ms`);
  const synth = driftingSeries({ layers: 58, experts: 256, windows: 5, seed: 7 });
  await compare(page, check, expectedTimeline(eplb, synth, 'ema', 3), 'synthetic seed 7, ema over 3');
  const info = await page.textContent('#tlInfo');
  check(/10 windows|5 windows, seed 7/.test(info) && info.includes('4 placements'), 'timeline: series described', info.slice(0, 120));
  fs.mkdirSync(shots, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, 'timeline.png'), fullPage: true });

  // 3. The bundled dumps in a row (with the note that they are not a time series).
  await page.selectOption('#tlSource', 'files');
  await page.selectOption('#tlPredictor', 'sum');
  await page.fill('#tlHistory', '1');
  await runAndWait(page);
  const names = ['prefill_in512', 'prefill_in1024', 'prefill_in2048', 'prefill_in4096', 'prefill_in500out1500', 'prefill_in1000out1000',
    'prefill_in1800out100', 'prefill_in2000out100', 'decode_in500out1500', 'decode_in1000out1000', 'decode_in1800out100', 'decode_in2000out100'];
  const files = names.map((n) => eplb.readLoads(fs.readFileSync(path.join(dataDir, `${n}.json`), 'utf8'), { dropDense: true }));
  const note = await page.textContent('#tlBundledNote');
  check(/not one time series/.test(note) && note.includes(`0 ${names[0]}, 1 ${names[1]}`) && note.includes(`11 ${names[11]}.`),
    'bundled dumps: the page says they are not a time series, and their order', note.slice(-90));
  await compare(page, check, expectedTimeline(eplb, files, 'sum', 1), 'bundled dumps in a row');

  // 4. A load_history file in windows of K = 2 steps: 6 steps -> 3 windows.
  const steps = driftingSeries({ layers: 58, experts: 256, windows: 6, seed: 11 });
  const nested = (m) => Array.from({ length: m.layers }, (_, l) => Array.from(m.data.subarray(l * m.experts, (l + 1) * m.experts)));
  const history = JSON.stringify({ load_history: steps.map((m) => ({ logical_expert_load: nested(m) })) });
  // A chosen file runs at once (with K = 1, 6 windows); then K = 2 and the button.
  const readyBefore = Number(await page.evaluate(() => document.body.dataset.tlReady));
  await page.setInputFiles('#tlFile', { name: 'history.json', mimeType: 'application/json', buffer: Buffer.from(history) });
  await page.waitForFunction((k) => Number(document.body.dataset.tlReady) > k && document.body.dataset.busy === '0', readyBefore, { timeout: 120000 });
  check((await page.textContent('#tlInfo')).includes('history.json: 6 steps of load_history in 6 windows of 1 step;'), 'load_history: a chosen file runs at once');
  await page.fill('#tlSteps', '2');
  await runAndWait(page);
  const sum2 = [0, 2, 4].map((s) => ({ data: steps[s].data.map((v, i) => v + steps[s + 1].data[i]), layers: 58, experts: 256 }));
  const hInfo = await page.textContent('#tlInfo');
  check(hInfo.includes('6 steps of load_history in 3 windows of 2 steps'), 'load_history: 6 steps in 3 windows of 2', hInfo.slice(0, 120));
  await compare(page, check, expectedTimeline(eplb, sum2, 'sum', 1), 'load_history in windows of 2 steps');

  // 5. Files the timeline cannot use: a clear message, no console error, the page still answers.
  const bad = [
    ['matrix.json', '[[1, 2, 3, 4], [5, 6, 7, 8]]', /matrix\.json.*single load matrix.*load_history/],
    ['truncated-history.json', '{"load_history": [{"logical_expert_load": [[1, 2', /truncated-history\.json/],
    ['one-step.json', JSON.stringify({ load_history: [{ logical_expert_load: [[1, 2, 3, 4]] }] }), /one-step\.json.*1 step.*at least 2/],
  ];
  for (const [name, text, pattern] of bad) {
    await page.setInputFiles('#tlFile', { name, mimeType: 'application/json', buffer: Buffer.from(text) });
    await expectError(page, check, name, pattern);
  }
  await page.setInputFiles('#tlFile', { name: 'history.json', mimeType: 'application/json', buffer: Buffer.from(history) });
  await page.waitForFunction(() => document.getElementById('error').hidden && document.body.dataset.busy === '0', null, { timeout: 60000 });
  check(!(await page.isVisible('#error')), 'timeline: a good file after bad ones clears the message');

  // 6. Back to the placement view: its results are still there.
  await page.click('#tabPlacement');
  check(await page.isVisible('#results') && !(await page.isVisible('#tlBalPlot')), 'placement tab: its results shown again');
}
