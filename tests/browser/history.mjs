// The placement tab with a history: older bundled files ticked under "History", the placement
// made for all windows at once, same-window figures on their sum and next-window figures (each
// file left out in turn), checked against the package in Node. Called by dashboard.test.mjs.
import fs from 'node:fs';
import path from 'node:path';

const TOPOLOGY = { replicas: 288, groups: 8, nodes: 4, gpus: 32 };
const OLDER = ['prefill_in1024.json', 'prefill_in2048.json'];
const NEWEST = 'prefill_in512.json';

const close = (a, b, tol) => Math.abs(a - b) <= tol;

function expected(eplb, dataDir, algorithms) {
  const read = (f) => {
    const w = eplb.readLoads(fs.readFileSync(path.join(dataDir, f), 'utf8'), { dropDense: true });
    return { data: w.data, layers: w.layers, experts: w.experts };
  };
  const windows = [...OLDER, NEWEST].map(read);
  const sum = (ws) => ({ data: ws[0].data.map((_, i) => ws.reduce((a, w) => a + w.data[i], 0)), layers: ws[0].layers, experts: ws[0].experts });
  const loads = (ws, algorithm) => (algorithm === 'deepseek' ? sum(ws) : ws);
  const out = {};
  for (const algorithm of algorithms) {
    const p = eplb.rebalance(loads(windows, algorithm), { ...TOPOLOGY, algorithm });
    const next = windows.map((w, k) => {
      const rest = windows.filter((_, i) => i !== k);
      return eplb.evaluate(eplb.rebalance(loads(rest, algorithm), { ...TOPOLOGY, algorithm }), w).balancednessGpu;
    });
    out[algorithm] = { same: eplb.evaluate(p, windows).balancednessGpu, next: next.reduce((a, b) => a + b, 0) / next.length };
  }
  return out;
}

// Ticks (or unticks) several files at once: one change event, one run.
async function tick(page, names, on) {
  await page.evaluate(([wanted, value]) => {
    for (const i of document.querySelectorAll('#historyFiles input')) if (wanted.includes(i.value)) i.checked = value;
    document.getElementById('historyFiles').dispatchEvent(new Event('change', { bubbles: true }));
  }, [names, on]);
}

export async function checkHistory({ page, eplb, check, shots, dataDir, waitReady }) {
  const before = Number(await page.evaluate(() => document.body.dataset.ready || 0));
  await page.evaluate(() => { document.getElementById('historyBox').open = true; });
  await page.selectOption('#dataset', NEWEST);
  await waitReady(page, before + 1);
  const single = await page.$$eval('table.summary tbody tr', (rows) => rows.map((r) => r.querySelector('td[data-key="nextWindowGpu"]').textContent.trim()));
  check(single.every((v) => Number(v) > 0 && Number(v) <= 1), 'one bundled file: next-window figures shown (the other files of its phase)', single.join(', '));
  const info1 = await page.textContent('#inputInfo');
  check(/other files of its phase/.test(info1), 'one bundled file: the summary says what next window means', info1.slice(-120));

  const n = Number(await page.evaluate(() => document.body.dataset.ready || 0));
  await tick(page, OLDER, true);
  await waitReady(page, n + 1, 180000);
  const info = await page.textContent('#inputInfo');
  check(/history of 3 windows/.test(info), 'ticked files make a history of 3 windows', info.slice(0, 200));
  const rows = await page.$$eval('table.summary tbody tr', (rs) => rs.map((r) => ({
    alg: r.dataset.alg, same: Number(r.querySelector('td[data-key="balancednessGpu"]').textContent), next: Number(r.querySelector('td[data-key="nextWindowGpu"]').textContent),
  })));
  const exp = expected(eplb, dataDir, rows.map((r) => r.alg));
  for (const r of rows) {
    check(close(r.same, exp[r.alg].same, 6e-5), `history: ${r.alg} same-window balancedness = evaluate on the sum in Node`, `page ${r.same}, node ${exp[r.alg].same.toFixed(6)}`);
    check(close(r.next, exp[r.alg].next, 6e-5), `history: ${r.alg} next-window balancedness = leave-one-out in Node`, `page ${r.next}, node ${exp[r.alg].next.toFixed(6)}`);
  }
  const d = rows.find((r) => r.alg === 'default'), s = rows.find((r) => r.alg === 'deepseek');
  if (d && s) check(d.next > s.next, 'history: default beats deepseek on the next window', `${d.next} vs ${s.next}`);
  await page.screenshot({ path: path.join(shots, 'history.png'), fullPage: false });
  await tick(page, OLDER, false);
  await waitReady(page, Number(await page.evaluate(() => document.body.dataset.ready || 0)) + 1, 60000);
}
