// The eplb CLI, spawned as a user runs it: success paths and mistakes (exit 2, one line).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { goldenDir, realDir, root, readJSON, slotSets } from './helpers.mjs';

const cli = path.join(root, 'js', 'cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'eplb-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
const file = (name, content) => {
  const f = path.join(dir, name);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};
const v3 = ['--replicas', '288', '--groups', '8', '--nodes', '4', '--gpus', '32'];

test('--help documents every command and flag', () => {
  const main = run('--help');
  assert.equal(main.status, 0);
  for (const word of ['rebalance', 'evaluate', 'algorithms']) assert.match(main.stdout, new RegExp(word));
  const reb = run('rebalance', '--help');
  assert.equal(reb.status, 0);
  for (const flag of ['replicas', 'groups', 'nodes', 'gpus', 'algorithm', 'policy', 'previous', 'max-moves', 'tolerance', 'drop-dense', 'stats', 'format', 'output'])
    assert.match(reb.stdout, new RegExp(`--${flag}\\b`), flag);
  const ev = run('evaluate', '--help');
  for (const flag of ['placement', 'gpus', 'nodes', 'groups', 'previous', 'output']) assert.match(ev.stdout, new RegExp(`--${flag}\\b`), flag);
});

test('algorithms lists the algorithms', () => {
  const r = run('algorithms', '--json');
  assert.equal(r.status, 0);
  assert.ok(JSON.parse(r.stdout).includes('deepseek'));
  assert.match(run('algorithms').stdout, /^default$/m);
});

test('rebalance reproduces golden cases; topology keys in the file stand in for flags', () => {
  for (const name of ['readme.json', 'case03.json', 'case17.json']) {
    const g = readJSON(goldenDir + name);
    const r = run('rebalance', goldenDir + name, '--algorithm', 'deepseek');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.phy2log, g.phy2log);
    assert.deepEqual(out.logcnt, g.logcnt);
    assert.deepEqual(slotSets(out.log2phy), slotSets(g.log2phy));
    assert.deepEqual([out.num_replicas, out.num_groups, out.num_nodes, out.num_gpus], [g.num_replicas, g.num_groups, g.num_nodes, g.num_gpus]);
    assert.equal(out.algorithm, 'deepseek');
  }
});

test('the input may come from standard input', () => {
  const r = spawnSync(process.execPath, [cli, 'rebalance', '-', '--replicas', '16', '--groups', '4', '--nodes', '2', '--gpus', '8', '--algorithm', 'deepseek'],
    { input: readFileSync(goldenDir + 'readme.json'), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).phy2log, readJSON(goldenDir + 'readme.json').phy2log);
});

test('an SGLang dump in, an SGLang init file out (every layer), and --stats', () => {
  const out = path.join(dir, 'sglang.json');
  const r = run('rebalance', realDir + 'prefill_in2048.json', ...v3, '--format', 'sglang', '--stats', '--output', out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '');
  const s = readJSON(out);
  assert.equal(s.physical_to_logical_map.length, 61);
  for (const row of s.physical_to_logical_map) assert.equal(new Set(row).size, 256);
  assert.ok(s.stats.balancedness_gpu > 0.5 && s.stats.balancedness_gpu <= 1);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp')), []);
});

test('--drop-dense places the 58 MoE layers and says which they are', () => {
  const r = run('rebalance', realDir + 'decode_in1800out100.json', ...v3, '--drop-dense', '--stats');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.phy2log.length, 58);
  assert.equal(out.kept_layers[0], 3);
  assert.equal(out.stats.layer_balancedness_gpu.length, 58);
  assert.equal(out.stats.gpu_loads[0].length, 32);
});

test('evaluate reads a placement file back; flags override its topology; --previous counts moves', () => {
  const p = path.join(dir, 'p.json');
  assert.equal(run('rebalance', realDir + 'prefill_in4096.json', ...v3, '--drop-dense', '--output', p).status, 0);
  const q = path.join(dir, 'q.json');
  assert.equal(run('rebalance', realDir + 'prefill_in512.json', ...v3, '--drop-dense', '--output', q).status, 0);
  const r = run('evaluate', '--placement', p, realDir + 'decode_in500out1500.json', '--drop-dense', '--previous', q);
  assert.equal(r.status, 0, r.stderr);
  const ev = JSON.parse(r.stdout);
  for (const k of ['balancedness_gpu', 'balancedness_replica', 'upper_bound', 'gap_to_bound', 'home_node_fraction', 'moved_slots'])
    assert.equal(typeof ev[k], 'number', k);
  assert.equal(ev.layer_balancedness_gpu.length, 58);
  assert.equal(ev.num_gpus, 32);
  const before = readJSON(q).phy2log.flat();
  const moved = readJSON(p).phy2log.flat().filter((e, i) => e !== before[i]).length;
  assert.equal(ev.moved_slots, moved);
  // The same placement on all 61 layers of the file (the dense ones included) scores the same.
  const wide = run('evaluate', '--placement', p, realDir + 'decode_in500out1500.json', '--drop-dense', '--gpus', '8', '--nodes', '2');
  assert.equal(wide.status, 0, wide.stderr);
  assert.equal(JSON.parse(wide.stdout).gpu_loads[0].length, 8);
});

test('evaluate takes the topology from the load file when the placement lacks it', () => {
  const g = readJSON(goldenDir + 'readme.json');
  const placement = file('bare.json', { phy2log: g.phy2log });
  const r = run('evaluate', '--placement', placement, goldenDir + 'readme.json');
  assert.equal(r.status, 0, r.stderr);
  const ev = JSON.parse(r.stdout);
  assert.deepEqual([ev.num_gpus, ev.num_nodes, ev.num_groups], [8, 2, 4]);
  assert.equal(ev.gpu_loads[0].length, 8);
});

test('evaluate scores an SGLang placement file', () => {
  const out = path.join(dir, 'init.json');
  assert.equal(run('rebalance', realDir + 'prefill_in1024.json', ...v3, '--format', 'sglang', '--output', out).status, 0);
  const r = run('evaluate', '--placement', out, realDir + 'prefill_in1024.json', '--gpus', '32', '--nodes', '4', '--groups', '8', '--drop-dense');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).home_node_fraction, 1);
});

test('mistakes: exit 2, one line on stderr naming the problem, no output file', () => {
  const ok = file('ok.json', [[1, 2, 3, 4], [4, 3, 2, 1]]);
  const topo = ['--replicas', '4', '--groups', '1', '--nodes', '1', '--gpus', '2'];
  const cases = [
    [['rebalance', file('bad.json', '{"weight": [[1,2,'), ...topo], /JSON|pars/i],
    [['rebalance', file('empty.json', ''), ...topo], /JSON|pars|empty/i],
    [['rebalance', file('ragged.json', [[1, 2, 3, 4], [1, 2]]), ...topo], /ragged/],
    [['rebalance', file('neg.json', [[1, -2, 3, 4]]), ...topo], /negative/],
    [['rebalance', file('nan.json', '[[1, NaN, 3, 4]]'), ...topo], /JSON|pars/i],
    [['rebalance', file('huge.json', '[[1, 1e400, 3, 4]]'), ...topo], /./],
    [['rebalance', ok, '--replicas', '3', '--gpus', '1'], /replicas/],
    [['rebalance', ok, '--replicas', '6', '--gpus', '4'], /divisible/],
    [['rebalance', ok, ...topo.slice(0, 6), '--gpus', '0'], /gpus/],
    [['rebalance', ok, ...topo.slice(0, 6), '--gpus', '1.5'], /gpus/],
    [['rebalance', ok, ...topo, '--algorithm', 'nosuch'], /nosuch/],
    [['rebalance', ok, ...topo, '--frobnicate'], /frobnicate/],
    [['rebalance', ok, ...topo, '--format', 'xml'], /format/],
    [['rebalance', ok, '--gpus', '2'], /--replicas/],
    [['rebalance', ok, ...topo, '--replicas'], /replicas/],
    [['rebalance', path.join(dir, 'missing.json'), ...topo], /missing\.json.*no such file/],
    [['rebalance', ok, ...topo, '--previous', file('prev.json', { phy2log: [[0, 1, 2]] })], /previous/],
    [['rebalance', ok, ...topo, '--format', 'sglang', '--drop-dense'], /drop-dense/],
    [['rebalance', ...topo], /input file/],
    [['evaluate', ok, '--gpus', '2'], /--placement/],
    [['evaluate', '--placement', file('nogpus.json', { phy2log: [[0, 1, 2, 3], [0, 1, 2, 3]] }), ok], /--gpus is required/],
    [['evaluate', '--placement', file('p.json', { phy2log: [[0, 1, 2, 7]] }), ok, '--gpus', '2'], /expert/],
    [['evaluate', '--placement', file('p2.json', { phy2log: [[0, 1, 2, 3], [0, 1, 2, 3]], logcnt: [[2, 0, 1, 1], [1, 1, 1, 1]] }), ok, '--gpus', '2'], /logcnt/],
    [['frobnicate'], /unknown command/],
    [[], /no command/],
  ];
  for (const [args, pattern] of cases) {
    const out = path.join(dir, 'out.json');
    const r = args.length ? run(...args, '--output', out) : run();
    const what = args.join(' ');
    assert.equal(r.status, 2, `${what}: exit ${r.status} ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: ${r.stderr}`);
    assert.match(r.stderr, pattern, what);
    assert.doesNotMatch(r.stderr, /\n\s+at |RuntimeError|Aborted/, what);
    assert.equal(existsSync(out), false, `${what}: output file written`);
  }
});

test('an existing output file is replaced whole, never left half-written', () => {
  const out = file('keep.json', 'old');
  const bad = run('rebalance', goldenDir + 'readme.json', '--replicas', '15', '--output', out);
  assert.equal(bad.status, 2);
  assert.equal(readFileSync(out, 'utf8'), 'old');
  const good = run('rebalance', goldenDir + 'readme.json', '--output', out);
  assert.equal(good.status, 0, good.stderr);
  assert.equal(readJSON(out).num_replicas, 16);
  const unwritable = run('rebalance', goldenDir + 'readme.json', '--output', path.join(dir, 'no', 'such', 'dir.json'));
  assert.equal(unwritable.status, 2);
  assert.match(unwritable.stderr, /cannot write/);
});

test('flags: numbers in decimal only, -o and -V, --max-moves/--tolerance need --previous, - once', () => {
  const ok = file('ok2.json', [[1, 2, 3, 4], [4, 3, 2, 1]]);
  const topo = ['--replicas', '4', '--gpus', '2'];
  for (const [args, pattern] of [
    [['rebalance', ok, '--replicas', '4', '--gpus', '0x20'], /--gpus must be a whole number in decimal digits, got '0x20'/],
    [['rebalance', ok, '--replicas', '4', '--gpus', '1e1'], /--gpus must be a whole number/],
    [['rebalance', ok, ...topo, '--tolerance', '0x1', '--previous', ok], /--tolerance must be a number, got '0x1'/],
    [['rebalance', ok, ...topo, '--max-moves', '3'], /--max-moves applies to rebalancing from the placement in service: give it with --previous/],
    [['rebalance', ok, ...topo, '--tolerance', '0.1'], /--tolerance applies/],
    [['evaluate', '--placement', '-', '--previous', '-', ok, '--gpus', '2'], /standard input \(-\) can be read only once/],
    [['evaluate', '--placement', '-', '-', '--gpus', '2'], /standard input \(-\) can be read only once/],
    [['rebalance', ok, ...topo, '-x'], /unknown option -x/],
  ]) {
    const r = run(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern, args.join(' '));
  }
  const out = path.join(dir, 'short.json');
  const r = run('rebalance', ok, ...topo, '-o', out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(readJSON(out).num_replicas, 4);
  const pkg = readJSON(path.join(root, 'package.json'));
  for (const flag of ['-V', '--version']) assert.equal(run(flag).stdout, `${pkg.version}\n`);
});

test('a closed stdout ends quietly; a full disk is one line', () => {
  const big = realDir + 'prefill_in4096.json';
  const head = spawnSync('sh', ['-c', `"${process.execPath}" "${cli}" rebalance "${big}" --replicas 288 --gpus 32 | head -c 100 >/dev/null; echo "exit $?"`], { encoding: 'utf8' });
  assert.equal(head.stderr, '', 'nothing on stderr');
  // The status of eplb itself, before the pipe (bash's PIPESTATUS).
  const status = spawnSync('bash', ['-c', `"${process.execPath}" "${cli}" rebalance "${big}" --replicas 288 --gpus 32 | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
  assert.equal(status.stdout.trim(), '0');
  assert.equal(status.stderr, '');
  const full = spawnSync('bash', ['-c', `"${process.execPath}" "${cli}" rebalance "${big}" --replicas 288 --gpus 32 >/dev/full`], { encoding: 'utf8' });
  assert.equal(full.status, 2);
  assert.equal(full.stderr, 'eplb: cannot write standard output: no space left on device\n');
  const help = spawnSync('bash', ['-c', `"${process.execPath}" "${cli}" --help | head -c 10 >/dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
  assert.equal(help.stdout.trim(), '0');
  assert.equal(help.stderr, '');
});

test('progress: silent when stderr is no terminal, lines with --progress', () => {
  const steps = Array.from({ length: 40 }, (_, s) => ({ logical_expert_load: [[1 + s, 2, 3, 4], [4, 3, 2, 1 + s]] }));
  const h = file('hist.json', { load_history: steps });
  const quiet = run('rebalance', h, '--replicas', '8', '--gpus', '2');
  assert.equal(quiet.status, 0);
  assert.equal(quiet.stderr, '');
  const loud = run('rebalance', h, '--replicas', '8', '--gpus', '2', '--progress', '--stats', '-o', path.join(dir, 'p.json'));
  assert.equal(loud.status, 0, loud.stderr);
  assert.match(loud.stderr, /^eplb: reading .*hist\.json…$/m);
  assert.match(loud.stderr, /^eplb: placing 2 layers x 8 slots \(default\), layers…$/m);
  assert.match(loud.stderr, /^eplb: writing .*p\.json…$/m);
  assert.match(loud.stderr, /^eplb: done in [\d.]+ s$/m);
  const ev = run('evaluate', '--placement', path.join(dir, 'p.json'), h, '--progress');
  assert.equal(ev.status, 0, ev.stderr);
  assert.match(ev.stderr, /reading/);
  // A large placement says so before the work starts.
  const m = file('wide.json', Array.from({ length: 16 }, (_, l) => Array.from({ length: 64 }, (_, e) => 1 + ((l * 31 + e * 17) % 40))));
  const large = run('rebalance', m, '--replicas', '65536', '--gpus', '1', '--algorithm', 'deepseek', '--format', 'sglang', '--progress', '-o', path.join(dir, 'wide.out.json'));
  assert.equal(large.status, 0, large.stderr);
  assert.match(large.stderr, /16 layers x 65,536 replicas = 1,048,576 slots: a large placement; it takes seconds/);
});

test('the placement is written as a stream, byte for byte what JSON.stringify writes', () => {
  const g = readJSON(goldenDir + 'case03.json');
  for (const extra of [[], ['--stats'], ['--drop-dense', '--stats'], ['--format', 'sglang', '--stats']]) {
    const r = run('rebalance', realDir + 'decode_in1000out1000.json', '--replicas', '288', '--groups', '8', '--nodes', '4', '--gpus', '32', ...extra);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, JSON.stringify(JSON.parse(r.stdout)) + '\n');
  }
  const r = run('rebalance', goldenDir + 'case03.json', '--algorithm', 'deepseek');
  assert.deepEqual(JSON.parse(r.stdout).logcnt, g.logcnt);
});

test('a window on a file that is no load history, and a log2phy past its limit, are one line each', () => {
  const m = file('plain.json', [[1, 2, 3, 4]]);
  const w = run('rebalance', m, '--window', '2', '--replicas', '4', '--gpus', '2');
  assert.equal(w.status, 2);
  assert.equal(w.stderr, `eplb: --window applies to load_history files; ${m} is a 'matrix' file\n`);
  // An all-zero layer gives one expert every spare slot: log2phy would pad to 65,000 a row.
  const z = file('zero.json', [...Array(4).fill(Array(256).fill(0)), Array.from({ length: 256 }, (_, e) => e + 1)]);
  const out = path.join(dir, 'zero.out.json');
  const r = run('rebalance', z, '--replicas', '65536', '--gpus', '1', '--algorithm', 'deepseek', '-o', out);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^eplb: log2phy would have \d+ cells .* --format sglang writes phy2log alone, and --drop-dense leaves out all-zero layers/);
  assert.equal(existsSync(out), false);
  assert.equal(run('rebalance', z, '--replicas', '65536', '--gpus', '1', '--algorithm', 'deepseek', '--drop-dense', '-o', out).status, 0);
});

test('the 205 MB load_history of the issue (EPLB_BIG_TESTS=1; a 66 MB one runs in streaming.test.mjs)', { skip: !process.env.EPLB_BIG_TESTS }, () => {
  const h = path.join(dir, 'h205.json');
  const gen = spawnSync('/usr/bin/python3', ['/work/shared/tools/gen_history.py', h, '2800'], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  const t0 = Date.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, cli, 'rebalance', h, '--replicas', '288', '--groups', '8', '--nodes', '4', '--gpus', '32', '--window', '100', '--stats', '-o', path.join(dir, 'h.out.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const kb = Number(r.stderr.trim().split('\n').pop());
  console.log(`# 205 MB history: ${((Date.now() - t0) / 1000).toFixed(1)} s, peak ${Math.round(kb / 1024)} MiB`);
  assert.ok(kb < 512 * 1024, `peak ${kb} kB`);
  assert.equal(readJSON(path.join(dir, 'h.out.json')).stats.windows, 28);
});
