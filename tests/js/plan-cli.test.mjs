// eplb plan, spawned as a user runs it: JSON rows equal to eplb rebalance + eplb evaluate, the
// table and its choice per policy, notes and mistakes (exit 2, one line).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { realDir, root } from './helpers.mjs';

const cli = (...args) => spawnSync(process.execPath, [path.join(root, 'js', 'cli.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
const dir = mkdtempSync(path.join(tmpdir(), 'eplb-plan-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const files = ['prefill_in512.json', 'decode_in1000out1000.json', 'prefill_in2048.json'].map((f) => realDir + f);
const v3 = ['--gpus', '32', '--nodes', '4', '--groups', '8'];

test('--json rows equal eplb rebalance + eplb evaluate with the same settings', () => {
  const r = cli('plan', ...files, ...v3, '--redundant', '0,32', '--drop-dense', '--json', '--expert-bytes', '44040192');
  assert.equal(r.status, 0, r.stderr);
  const { rows } = JSON.parse(r.stdout);
  assert.equal(rows.length, 6);
  for (const key of ['redundant', 'replicas', 'algorithm', 'policy', 'balancedness_gpu', 'next_window_gpu', 'home_node_fraction',
    'moved_slots', 'upper_bound', 'redundant_bytes_per_gpu']) assert.ok(key in rows[0], key);
  assert.equal(rows.find((x) => x.redundant === 32).redundant_bytes_per_gpu, (58 * 32 * 44040192) / 32);
  for (const row of rows.filter((x) => x.redundant === 32)) {
    const out = path.join(dir, `${row.algorithm}-${row.policy}.json`);
    const q = cli('rebalance', ...files, ...v3, '--replicas', String(row.replicas), '--algorithm', row.algorithm, '--policy', row.policy, '--drop-dense', '--output', out);
    assert.equal(q.status, 0, q.stderr);
    const ev = JSON.parse(cli('evaluate', '--placement', out, ...files, '--drop-dense').stdout);
    assert.ok(Math.abs(ev.balancedness_gpu - row.balancedness_gpu) <= 1e-9, `${row.algorithm}/${row.policy}`);
    assert.ok(Math.abs(ev.home_node_fraction - row.home_node_fraction) <= 1e-9);
    // The next-window figure: each file held out, the others placed, measured on it; the mean.
    let sum = 0;
    files.forEach((held, i) => {
      const o = path.join(dir, `loo-${i}.json`);
      assert.equal(cli('rebalance', ...files.filter((_, j) => j !== i), ...v3, '--replicas', String(row.replicas), '--algorithm', row.algorithm,
        '--policy', row.policy, '--drop-dense', '--output', o).status, 0);
      sum += JSON.parse(cli('evaluate', '--placement', o, held, '--drop-dense').stdout).balancedness_gpu;
    });
    assert.ok(Math.abs(sum / files.length - row.next_window_gpu) <= 1e-9, `${row.algorithm}/${row.policy} next window`);
  }
  assert.match(r.stderr, /note: deepseek has no hybrid policy/);
});

test('the table: one line per row, and the smallest redundancy within 1% of the best per policy', () => {
  const r = cli('plan', ...files, ...v3, '--redundant', '0,32,64', '--drop-dense', '--algorithms', 'default', '--policies', 'auto,hybrid');
  assert.equal(r.status, 0, r.stderr);
  // Only progress lines (a loaded machine may take over a second): no note, default has both policies.
  assert.ok(r.stderr.split('\n').every((l) => l === '' || /^eplb plan: (\d+ of \d+ placements|done in)/.test(l)), r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines.filter((l) => /^\s+(0|32|64)\s+(256|288|320)\s+default\s+(auto|hybrid)\s/.test(l)).length, 6);
  assert.match(r.stdout, /leave-one-out: each of the 3 files held out/);
  assert.match(r.stdout, /within 1% of the best next-window balancedness/);
  assert.match(r.stdout, /^ {2}auto: +\d+ redundant \(\d+ replicas\), default: 0\.\d{4}/m);
  assert.match(r.stdout, /^ {2}hybrid: \d+ redundant/m);
});

test('redundancies that do not divide over the GPUs are skipped with a note; two files give no next-window figure', () => {
  const r = cli('plan', ...files.slice(0, 2), '--gpus', '64', '--nodes', '8', '--groups', '8', '--redundant', '0,32,64', '--drop-dense',
    '--algorithms', 'deepseek', '--policies', 'auto', '--json');
  assert.equal(r.status, 0, r.stderr);
  const { rows } = JSON.parse(r.stdout);
  assert.deepEqual(rows.map((x) => x.redundant), [0, 64]);
  assert.ok(rows.every((x) => x.next_window_gpu === null));
  assert.match(r.stderr, /^eplb plan: note: redundant 32 skipped: 288 replicas do not divide over 64 GPUs$/m);
});

test('--previous: moved slots in the rows of its slot count; --output', () => {
  const prev = path.join(dir, 'prev.json');
  assert.equal(cli('rebalance', files[0], ...v3, '--replicas', '288', '--drop-dense', '--output', prev).status, 0);
  const out = path.join(dir, 'plan.json');
  const r = cli('plan', ...files, ...v3, '--redundant', '0,32', '--drop-dense', '--algorithms', 'default', '--policies', 'auto', '--previous', prev, '--json', '--output', out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const rows = JSON.parse(readFileSync(out, 'utf8')).rows;
  assert.equal(rows[0].moved_slots, null);
  const p = path.join(dir, 'kept.json');
  assert.equal(cli('rebalance', ...files, ...v3, '--replicas', '288', '--drop-dense', '--previous', prev, '--output', p).status, 0);
  const ev = JSON.parse(cli('evaluate', '--placement', p, ...files, '--drop-dense', '--previous', prev).stdout);
  assert.equal(rows[1].moved_slots, ev.moved_slots);
});

test('mistakes: exit 2, one line on stderr, no output file', () => {
  const ok = path.join(dir, 'ok.json');
  writeFileSync(ok, JSON.stringify([[1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1]]));
  const topo = ['--gpus', '4'];
  const cases = [
    [[ok, ...topo, '--redundant', 'a,b'], /--redundant must be a comma-separated list of non-negative integers/],
    [[ok, ...topo, '--redundant', '0,,4'], /--redundant must be/],
    [[ok, ...topo, '--redundant', '-4'], /--redundant/],
    [[ok, ...topo, '--redundant', '4,4'], /--redundant lists 4 twice/],
    [[ok, ...topo, '--redundant', '1,2,3'], /no redundancy asked for makes the replicas .* divide over 4 GPUs/],
    [[ok, ...topo, '--algorithms', 'nosuch'], /unknown name 'nosuch'/],
    [[ok, ...topo, '--algorithms', 'default,'], /--algorithms must be a comma-separated list/],
    [[ok, ...topo, '--policies', 'fastest'], /unknown name 'fastest'/],
    [[ok, ...topo, '--expert-bytes', '0'], /--expert-bytes must be a positive number/],
    [[ok, ...topo, '--expert-bytes', 'lots'], /--expert-bytes must be a number/],
    [[ok, ...topo, '--window', '2'], /load_history/],
    [[ok, '--nodes', '2'], /--gpus is required/],
    [[ok, ...topo, '--nodes', '3'], /divisible/],
    [[ok, ...topo, '--previous', path.join(dir, 'none.json')], /no such file/],
    [[...topo], /plan needs load files/],
    [[path.join(dir, 'missing.json'), ...topo], /missing\.json.*no such file/],
  ];
  for (const [args, pattern] of cases) {
    const out = path.join(dir, 'out.json');
    const r = cli('plan', ...args, '--output', out);
    const what = args.join(' ');
    assert.equal(r.status, 2, `${what}: exit ${r.status} ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: ${r.stderr}`);
    assert.match(r.stderr, pattern, what);
    assert.doesNotMatch(r.stderr, /\n\s+at |RuntimeError/, what);
    assert.equal(existsSync(out), false, `${what}: output file written`);
  }
});

test('--help documents every flag and the leave-one-out figure', () => {
  const r = cli('plan', '--help');
  assert.equal(r.status, 0);
  for (const flag of ['gpus', 'nodes', 'groups', 'redundant', 'algorithms', 'policies', 'expert-bytes', 'previous', 'drop-dense', 'window', 'json', 'output'])
    assert.match(r.stdout, new RegExp(`--${flag}\\b`), flag);
  assert.match(r.stdout, /each file held\s+out in turn/);
  assert.match(cli('--help').stdout, /eplb plan/);
});
