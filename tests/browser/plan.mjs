// The dashboard's Plan view, checked in the browser against the package in Node: the default
// plan of the 12 bundled dumps, a plan of 3 of them point by point, the chosen point's
// placement (JSON and TensorRT-LLM YAML) against rebalance in Node, and mistakes. Called by
// dashboard.test.mjs with its page and `check`.
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const TOPOLOGY = { groups: 8, nodes: 4, gpus: 32 };
const THREE = ['prefill_in512.json', 'prefill_in1024.json', 'prefill_in2048.json'];

async function planRun(page, before, timeout = 240000) {
  await page.waitForFunction((k) => Number(document.body.dataset.planReady || 0) > k && document.body.dataset.busy === '0', before, { timeout });
}

const planReady = (page) => page.evaluate(() => Number(document.body.dataset.planReady || 0));

async function tickFiles(page, names) {
  await page.evaluate((wanted) => {
    for (const label of document.querySelectorAll('#planFiles label')) label.querySelector('input').checked = wanted.some((n) => label.textContent.trim() === n);
  }, names);
}

async function points(page) {
  return page.$$eval('.plot-plan .plan-series', (gs) => gs.flatMap((g) => [...g.querySelectorAll('circle')].map((c) => ({
    alg: g.dataset.alg, policy: g.dataset.policy, row: Number(c.dataset.row), kind: c.dataset.kind, value: Number(c.dataset.value),
  }))));
}

async function download(page, id) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`#${id}`)]);
  return { name: dl.suggestedFilename(), text: fs.readFileSync(await dl.path(), 'utf8') };
}

async function expectError(page, check, what, pattern) {
  await page.waitForFunction((src) => !document.getElementById('error').hidden && document.body.dataset.busy === '0' &&
    new RegExp(src).test(document.getElementById('error').textContent.replace(/\s+/g, ' ')), pattern.source, { timeout: 30000 }).catch(() => {});
  const msg = (await page.textContent('#error')).replace(/\s+/g, ' ').trim();
  check(pattern.test(msg), `plan ${what}: clear message`, msg.slice(0, 170));
}

export async function checkPlan({ page, eplb, check, shots, dataDir }) {
  const read = (names) => names.map((n) => eplb.readLoads(fs.readFileSync(path.join(dataDir, n), 'utf8'), { dropDense: true }));

  // 1. Opening the tab plans the 12 bundled dumps with the defaults.
  let before = await planReady(page);
  await page.click('#tabPlan');
  await planRun(page, before);
  check(await page.isVisible('#planPlot svg') && !(await page.isVisible('#results')) && !(await page.isVisible('#replicas')),
    'plan tab: its curve shown; the placement view and the replicas field hidden');
  const all = await points(page);
  const series = [...new Set(all.map((p) => `${p.alg}/${p.policy}`))];
  const algorithms = await page.$$eval('#planAlgorithms input:checked', (els) => els.map((e) => e.value));
  check(algorithms.join(',') === 'deepseek,default', 'plan: deepseek and default preselected, in the CLI order', algorithms.join(', '));
  check(series.join(',') === 'deepseek/auto,default/auto,default/hybrid', 'plan: one line per algorithm and policy (deepseek has no hybrid)', series.join(', '));
  const rows = await page.$$eval('.plan-table tbody tr', (trs) => trs.length);
  check(rows === 15 && all.filter((p) => p.kind === 'next').length === 15 && all.filter((p) => p.kind === 'same').length === 15,
    'plan of the 12 dumps: 5 redundancies x 3 lines, next- and same-window points', `${rows} rows, ${all.length} points`);
  const notes = await page.textContent('#planNotes');
  check(/deepseek has no hybrid policy/.test(notes), 'plan: the note on deepseek and hybrid shown', notes.slice(0, 100));
  const choices = await page.$$eval('#planChoices li', (ls) => ls.map((l) => l.dataset.policy));
  check(choices.join(',') === 'auto,hybrid', 'plan: a choice per policy', choices.join(', '));

  // 2. Three files, redundant 0,32,64: every point equals plan() in Node.
  await tickFiles(page, THREE);
  await page.fill('#planRedundant', '0, 32,64');
  before = await planReady(page);
  await page.click('#run');
  await planRun(page, before);
  const history = read(THREE);
  const exp = eplb.plan(history, { ...TOPOLOGY, redundant: [0, 32, 64] });
  const got = await points(page);
  let worst = 0;
  for (const p of got) {
    const r = exp.rows[p.row];
    const ok = r && r.algorithm === p.alg && r.policy === p.policy;
    worst = Math.max(worst, ok ? Math.abs((p.kind === 'next' ? r.nextWindowGpu : r.balancednessGpu) - p.value) : 1);
  }
  check(got.length === 2 * exp.rows.length && worst <= 1e-12, `plan of 3 files: ${got.length} points = plan() in Node`, `largest difference ${worst.toExponential(1)}`);
  const cells = await page.$$eval('.plan-table tbody tr', (trs) => trs.map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.key, td.textContent]))));
  const tableOk = cells.length === exp.rows.length && cells.every((c, i) => Math.abs(Number(c.nextWindowGpu) - exp.rows[i].nextWindowGpu) <= 6e-5 &&
    Math.abs(Number(c.balancednessGpu) - exp.rows[i].balancednessGpu) <= 6e-5 && Number(c.redundant) === exp.rows[i].redundant);
  check(tableOk, 'plan table = plan() in Node', JSON.stringify(cells[0]));
  const info = await page.textContent('#planInfo');
  check(/3 load files/.test(info) && /leave-one-out over the 3 files/.test(info), 'plan: input and the leave-one-out figure described', info.slice(0, 120));
  fs.mkdirSync(shots, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(shots, 'plan.png'), fullPage: true });

  // 3. A point clicked: its placement is one click away, equal to rebalance of the history in Node.
  const target = exp.rows.findIndex((r) => r.algorithm === 'default' && r.policy === 'hybrid' && r.redundant === 32);
  await page.click(`.plot-plan circle[data-row="${target}"][data-kind="next"]`);
  await page.waitForFunction((t) => document.getElementById('planChosen').dataset.row === String(t), target, { timeout: 5000 });
  check((await page.textContent('#planChosen')).includes('32 redundant experts'), 'plan: a clicked point becomes the chosen one');
  const p = eplb.rebalance(history, { replicas: 288, ...TOPOLOGY, algorithm: 'default', policy: 'hybrid' });
  const json = await download(page, 'planDlJson');
  const doc = JSON.parse(json.text);
  const kept = Array.from({ length: 58 }, (_, i) => i + 3);
  check(doc.num_replicas === 288 && doc.kept_layers.join() === kept.join() && doc.phy2log.flat().every((e, i) => e === p.phy2log[i]),
    'plan: the chosen point’s placement.json = rebalance of the 3 files in Node', json.name);
  const yml = await download(page, 'planDlYaml');
  const lb = parse(yml.text, { mapAsMap: true }).get('moe_config').get('load_balancer');
  const a = lb.get('initial_global_assignments');
  check(lb.get('num_slots') === 288 && lb.get('layer_updates_per_iter') === 0 && [...a.keys()].join() === kept.join() &&
    kept.every((layer, i) => a.get(layer).every((e, s) => e === p.phy2log[i * 288 + s])), 'plan: the TensorRT-LLM YAML download, layer rows = phy2log', yml.name);

  // 4. Mistakes: a clear message, the page still answers.
  await page.fill('#planRedundant', '0,a');
  await page.click('#run');
  await expectError(page, check, 'redundant "0,a"', /whole numbers/);
  await page.fill('#planRedundant', '1,2');
  await page.click('#run');
  await expectError(page, check, 'redundant "1,2"', /no redundancy asked for makes the replicas .* divide over 32 GPUs/);
  await page.click('#planNone');
  await page.fill('#planRedundant', '');
  await page.click('#run');
  await expectError(page, check, 'no file', /tick at least one load file/);
  await tickFiles(page, THREE);

  await page.click('#tabPlacement');
  check(await page.isVisible('#results') && !(await page.isVisible('#planPlot')), 'placement tab after the plan: its results shown again');
}
