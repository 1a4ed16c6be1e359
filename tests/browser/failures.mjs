// The dashboard's "Failed GPUs" control: the placement made on the live GPUs (their figures equal
// the package's in Node), the failed GPUs' slots shown empty in the replica map, the hint, and
// mistakes reported on the page. Called by dashboard.test.mjs.
import fs from 'node:fs';
import path from 'node:path';

const TOPOLOGY = { replicas: 288, groups: 8, nodes: 4, gpus: 32 };
const FILE = 'prefill_in512.json';
const close = (a, b, tol) => Math.abs(a - b) <= tol;

async function setFailed(page, text) {
  await page.fill('#failedGpus', text);
  await page.evaluate(() => document.getElementById('failedGpus').dispatchEvent(new Event('change', { bubbles: true })));
}

export async function checkFailures({ page, eplb, check, shots, dataDir, waitReady }) {
  let ready = Number(await page.evaluate(() => document.body.dataset.ready));
  await page.selectOption('#dataset', FILE);
  await waitReady(page, ready + 1);
  const algorithms = await page.$$eval('#algorithms input:checked', (els) => els.map((e) => e.value));

  ready = Number(await page.evaluate(() => document.body.dataset.ready));
  await setFailed(page, '5, 20');
  await waitReady(page, ready + 1);
  const hint = await page.textContent('#topoHint');
  check(/30 live GPUs \(270 slots\); auto → global/.test(hint), 'failed GPUs: the hint counts the live GPUs', hint);

  const w = eplb.readLoads(fs.readFileSync(path.join(dataDir, FILE), 'utf8'), { dropDense: true });
  const weights = { data: w.data, layers: w.layers, experts: w.experts };
  const rows = await page.$$eval('table.summary tbody tr', (trs) =>
    trs.map((r) => [r.dataset.alg, Number(r.querySelector('td[data-key="balancednessGpu"]').textContent)]));
  for (const [alg, shown] of rows) {
    const p = eplb.rebalance(weights, { ...TOPOLOGY, algorithm: alg, failedGpus: [5, 20] });
    const want = eplb.evaluate(p, weights).balancednessGpu;
    check(close(shown, want, 6e-5), `failed GPUs 5, 20: ${alg} balancedness over the live GPUs = evaluate`, `${shown} vs ${want.toFixed(6)}`);
  }
  check(rows.length === algorithms.length, 'failed GPUs: one row per algorithm', String(rows.length));

  const failedCells = await page.$$eval('.plot-replica-map rect[data-failed]', (rs) => rs.map((r) => Number(r.dataset.slot)));
  const expectCells = [...Array.from({ length: 9 }, (_, j) => 45 + j), ...Array.from({ length: 9 }, (_, j) => 180 + j)];
  check(failedCells.length === 18 && failedCells.every((s, i) => s === expectCells[i]), 'replica map: the 18 slots of GPUs 5 and 20 shown empty',
    failedCells.join(','));
  const bars = await page.$$eval('.plot-gpu-bars .gpu-bars rect', (rs) => rs.map((r) => r.querySelector('title').textContent));
  check(/: 0 tokens/.test(bars[5]) && !/: 0 tokens/.test(bars[4]), 'GPU bars: a failed GPU carries nothing', bars[5]);
  const meanShown = Number((await page.textContent('.plot-gpu-bars .mark-mean-label')).replace(/[^\d.]/g, ''));
  const liveLoads = bars.map((t) => Number(/: ([\d,.]+) tokens/.exec(t)[1].replace(/,/g, ''))).filter((_, g) => g !== 5 && g !== 20);
  const liveMean = liveLoads.reduce((a, b) => a + b, 0) / 30;
  check(close(meanShown, liveMean, 0.5 + 1e-3 * liveMean), 'GPU bars: the mean over the 30 live GPUs', `${meanShown} vs ${liveMean.toFixed(0)}`);
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, 'dashboard-failures.png'), fullPage: true });

  // The placement download lists the failed GPUs, and its phy2log has -1 in their slots.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`button[data-download="placement"][data-alg="${algorithms[0]}"]`)]);
  const doc = JSON.parse(fs.readFileSync(await dl.path(), 'utf8'));
  check(JSON.stringify(doc.failed_gpus) === '[5,20]' && doc.phy2log.every((row) => row.slice(45, 54).every((e) => e === -1)),
    'placement download: failed_gpus and -1 slots', JSON.stringify(doc.failed_gpus));

  // Mistakes: a word in the list is refused by the form, a GPU out of range by the core.
  await page.fill('#failedGpus', '5, x');
  await page.evaluate(() => document.getElementById('failedGpus').dispatchEvent(new Event('input', { bubbles: true })));
  const bad = await page.evaluate(() => ({ text: document.getElementById('topoHint').textContent, bad: document.getElementById('topoHint').classList.contains('bad') }));
  check(bad.bad && /failed GPUs must be GPU numbers/.test(bad.text), 'failed GPUs "5, x": the hint says what is wrong', bad.text);
  await setFailed(page, '40');
  await page.waitForFunction(() => !document.getElementById('error').hidden, null, { timeout: 30000 });
  const msg = (await page.textContent('#error')).trim();
  check(/failed GPU 40 is not a GPU index in \[0, 32\)/.test(msg), 'failed GPU 40: the core\'s message on the page', msg.slice(0, 140));

  // Cleared: every GPU live again, the figures of the plain topology.
  ready = Number(await page.evaluate(() => document.body.dataset.ready));
  await setFailed(page, '');
  await waitReady(page, ready + 1);
  const [[alg, plain]] = await page.$$eval('table.summary tbody tr', (trs) =>
    trs.map((r) => [r.dataset.alg, Number(r.querySelector('td[data-key="balancednessGpu"]').textContent)]));
  const want = eplb.evaluate(eplb.rebalance(weights, { ...TOPOLOGY, algorithm: alg }), weights).balancednessGpu;
  check(close(plain, want, 6e-5) && !(await page.isVisible('#error')), 'failed GPUs cleared: back to the full cluster', `${plain}`);
}
