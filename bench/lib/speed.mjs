// Section (a)+(b): rebalance speed per algorithm and policy at the suite's shapes, WASM under Node,
// native (Google Benchmark target eplb_suite_bench, built here when missing) and DeepSeek's Python
// reference, all on the same matrices in one run.
import { spawn, spawnSync } from 'node:child_process';
import readline from 'node:readline';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { speed as speedSpec, quick as quickSpec } from '../workloads.mjs';
import { attempt, now, progress, root, shapeLabel, sourceLoads, topologyOptions, writeMatrix } from './suite.mjs';
import { median, ms, ratio } from './report.mjs';

/** Median of repeated calls after warm-up; the warm-up and the minimum stop early for slow calls. */
export function timeCalls(fn, { warmup, minCalls, maxCalls, budgetSeconds }) {
  const budget = budgetSeconds * 1000;
  let start = now();
  for (let i = 0; i < warmup && (i === 0 || now() - start < budget / 3); i++) fn();
  const times = [];
  start = now();
  const cpu0 = process.cpuUsage();
  for (;;) {
    const elapsed = now() - start;
    if (times.length >= maxCalls) break;
    if (times.length >= minCalls && elapsed >= budget) break;
    if (times.length >= 3 && elapsed >= 3 * budget) break;
    const s = now();
    fn();
    times.push(now() - s);
  }
  const cpu = process.cpuUsage(cpu0);
  // CPU time (user + system, this process) per call over the timed loop: a mean, less sensitive
  // than wall time to other processes on a shared machine.
  return { median: median(times), calls: times.length, min: Math.min(...times), cpu: (cpu.user + cpu.system) / 1000 / times.length };
}

const comboKey = (algorithm, policy) => `${algorithm}/${policy}`;

export async function runSpeed(eplb, ctx) {
  const wasmCfg = ctx.quick ? quickSpec.speedWasm : speedSpec.wasm;
  const policies = speedSpec.policies.filter((p) => ctx.policies.includes(p));
  const combos = ctx.algorithms.flatMap((algorithm) => policies.map((policy) => ({ algorithm, policy })));
  const cases = speedSpec.cases.map((c) => {
    const w = sourceLoads(eplb, c.source);
    const topo = topologyOptions(c.topology);
    const file = path.join(ctx.tmpDir, `speed-${c.name}.f64`);
    writeMatrix(file, w);
    return { ...c, w, topo, file, label: shapeLabel(w, topo), wasm: {}, native: {}, reference: null };
  });

  // WASM under Node.
  for (const c of cases) {
    for (const { algorithm, policy } of combos) {
      const opts = { ...c.topo, algorithm, policy };
      const first = attempt(() => eplb.rebalance(c.w, opts));
      if (first.error) {
        c.wasm[comboKey(algorithm, policy)] = { error: first.error };
        continue;
      }
      progress(`speed wasm ${c.name} ${algorithm}/${policy}`);
      c.wasm[comboKey(algorithm, policy)] = timeCalls(() => eplb.rebalance(c.w, opts), wasmCfg);
    }
    const ds = attempt(() => eplb.rebalance(c.w, { ...c.topo, algorithm: ctx.referenceAlgorithm, policy: 'auto' }));
    c.deepseekPhy2log = ds.value?.phy2log ?? null;
    c.deepseekLogcnt = ds.value?.logcnt ?? null;
  }

  const manifest = cases.map((c) => ({
    name: c.name, path: c.file, layers: c.w.layers, experts: c.w.experts,
    replicas: c.topo.replicas, groups: c.topo.groups, nodes: c.topo.nodes, gpus: c.topo.gpus, combos,
  }));
  const manifestFile = path.join(ctx.tmpDir, 'speed-manifest.json');
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 1));

  const native = ctx.noNative ? { status: 'skipped (--no-native)' } : runNative(manifestFile, ctx);
  for (const c of cases) c.native = native.results?.[c.name] ?? {};

  const reference = runReference(manifestFile, cases, ctx);
  for (const c of cases) c.reference = reference.results?.[c.name] ?? null;

  const side = await sideBySide(eplb, cases, manifestFile, native, reference, ctx);
  return { cases, combos, native, reference, wasmCfg, side };
}

/** Rounds of one reference call, WASM calls and a short native run of the reference algorithm. */
async function sideBySide(eplb, cases, manifestFile, native, reference, ctx) {
  const cfg = ctx.quick ? quickSpec.sideBySide : speedSpec.sideBySide;
  const c = cases.find((x) => x.name === cfg.case);
  const big = cases.find((x) => x.name === cfg.growthCase);
  const algorithm = ctx.referenceAlgorithm;
  const opts = { ...c.topo, algorithm, policy: 'auto' };
  const bigOpts = big && { ...big.topo, algorithm, policy: 'auto' };
  if (attempt(() => eplb.rebalance(c.w, opts)).error) return { status: `${algorithm} does not run at ${c.name}` };
  if (big && attempt(() => eplb.rebalance(big.w, bigOpts)).error) return { status: `${algorithm} does not run at ${big.name}` };
  let py = null;
  let lines = null;
  if (reference.status === 'ok') {
    py = spawn(ctx.python, [path.join(root, 'bench/lib/reference_timer.py'), ctx.referencePath, manifestFile, '--serve', c.name], {
      cwd: root, stdio: ['pipe', 'pipe', 'inherit'],
    });
    lines = readline.createInterface({ input: py.stdout })[Symbol.asyncIterator]();
    const ready = await lines.next();
    if (ready.done || ready.value.trim() !== 'ready') {
      py.kill();
      py = null;
    }
  }
  const rounds = [];
  try {
    progress(`side by side at ${c.name}: ${cfg.rounds} rounds of reference, WASM and native ${algorithm}`);
    for (let r = 0; r < cfg.rounds; r++) {
      const round = {};
      if (py) {
        py.stdin.write(`${c.name}\n`);
        const [wall, cpu] = String((await lines.next()).value).trim().split(/\s+/).map(Number);
        round.reference = wall;
        round.referenceCpu = cpu;
      }
      const t = timeCalls(() => eplb.rebalance(c.w, opts), { warmup: 3, minCalls: cfg.wasmCalls, maxCalls: cfg.wasmCalls, budgetSeconds: 10 });
      round.wasm = t.median;
      round.wasmCpu = t.cpu;
      if (big) round.wasmBig = timeCalls(() => eplb.rebalance(big.w, bigOpts), { warmup: 1, minCalls: cfg.growthCalls, maxCalls: cfg.growthCalls, budgetSeconds: 10 }).median;
      if (native.exe) {
        const names = [c.name, ...(big ? [big.name] : [])].join('|');
        const n = spawnSync(native.exe, [
          '--suite', manifestFile, `--benchmark_filter=^(${names})/${algorithm}/auto(/|$)`, '--benchmark_format=json', `--benchmark_min_time=${cfg.nativeMinTime}`,
        ], { cwd: root, encoding: 'utf8', timeout: 600e3 });
        const bs = n.status === 0 ? attempt(() => JSON.parse(n.stdout)).value?.benchmarks ?? [] : [];
        const b = bs.find((x) => x.name.startsWith(`${c.name}/`));
        if (b && !b.error_occurred) {
          round.native = toMs(b.real_time, b.time_unit);
          round.nativeCpu = toMs(b.cpu_time, b.time_unit);
        }
        const bb = big && bs.find((x) => x.name.startsWith(`${big.name}/`));
        if (bb && !bb.error_occurred) round.nativeBig = toMs(bb.real_time, bb.time_unit);
      }
      rounds.push(round);
    }
  } finally {
    if (py) {
      py.stdin.end();
      py.kill();
    }
  }
  const col = (k) => rounds.map((r) => r[k]).filter((x) => Number.isFinite(x));
  const ratios = (k) => rounds.filter((r) => Number.isFinite(r.reference) && Number.isFinite(r[k])).map((r) => r.reference / r[k]);
  const growth = (k, kBig) => median(rounds.filter((r) => Number.isFinite(r[k]) && Number.isFinite(r[kBig])).map((r) => r[kBig] / r[k]));
  return {
    status: 'ok', name: c.name, label: c.label, algorithm, cfg, rounds, bigName: big?.name, bigLabel: big?.label,
    wasmBig: median(col('wasmBig')), nativeBig: median(col('nativeBig')),
    growthWasm: growth('wasm', 'wasmBig'), growthNative: growth('native', 'nativeBig'),
    wasm: median(col('wasm')), native: median(col('native')), reference: median(col('reference')),
    wasmCpu: median(col('wasmCpu')), nativeCpu: median(col('nativeCpu')), referenceCpu: median(col('referenceCpu')),
    ratioWasm: median(ratios('wasm')), ratioNative: median(ratios('native')),
  };
}

/** Builds (incrementally) and runs the native Google Benchmark target on the manifest. */
function runNative(manifestFile, ctx) {
  const built = buildNative(ctx, 'eplb_suite_bench', 'bench/native/eplb_suite_bench');
  if (built.error) return { status: `native: ${built.error}` };
  const { exe, buildDir } = built;
  const run = (cmd, args, timeout) => spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout, maxBuffer: 1 << 28 });
  const cfg = ctx.quick ? quickSpec.speedNative : speedSpec.native;
  progress(`speed native: ${path.relative(root, exe)} (${cfg.repetitions} repetitions x ${cfg.minTime} s per benchmark)`);
  const r = run(exe, [
    '--suite', manifestFile, '--benchmark_format=json', `--benchmark_repetitions=${cfg.repetitions}`,
    '--benchmark_report_aggregates_only=true', `--benchmark_min_time=${cfg.minTime}`,
  ], 3600e3);
  if (r.status !== 0) return { status: `native: eplb_suite_bench failed: ${tail(r)}` };
  let json;
  try {
    json = JSON.parse(r.stdout);
  } catch (e) {
    return { status: `native: unreadable benchmark output (${e.message})` };
  }
  const results = {};
  for (const b of json.benchmarks ?? []) {
    const name = b.run_name ?? b.name;
    const [caseName, algorithm, policy] = name.split('/');
    const slot = ((results[caseName] ??= {})[comboKey(algorithm, policy)] ??= {});
    if (b.error_occurred) slot.error = b.error_message;
    else if (b.aggregate_name === 'median' || (b.aggregate_name === undefined && slot.median === undefined)) {
      slot.median = toMs(b.real_time, b.time_unit);
      slot.cpu = toMs(b.cpu_time, b.time_unit);
    }
  }
  const ctxInfo = json.context ?? {};
  return {
    status: 'ok',
    results,
    exe,
    context: `${path.relative(root, exe)} (${buildType(buildDir)} build of the working tree), Google Benchmark ${cfg.repetitions} repetitions of at least ${cfg.minTime} s, the median; ${ctxInfo.num_cpus ?? '?'} CPUs at ${ctxInfo.mhz_per_cpu ?? '?'} MHz`,
  };
}

function buildType(buildDir) {
  try {
    return /^CMAKE_BUILD_TYPE:\w+=(.*)$/m.exec(readFileSync(path.join(buildDir, 'CMakeCache.txt'), 'utf8'))?.[1] || 'default';
  } catch {
    return '?';
  }
}

const toMs = (t, unit) => t * ({ ns: 1e-6, us: 1e-3, ms: 1, s: 1e3 }[unit] ?? 1);
const builtOnce = new Set();
/**
 * Builds (incrementally, once per run) a native target in the suite's CMake folder, configuring it
 * (Release, no tests) when needed. Returns { exe, buildDir } or { error }.
 */
export function buildNative(ctx, target, relativeExe) {
  const buildDir = path.resolve(root, ctx.nativeBuildDir);
  const exe = path.join(buildDir, relativeExe);
  const run = (cmd, args, timeout) => spawnSync(cmd, args, { cwd: root, encoding: 'utf8', timeout, maxBuffer: 1 << 28 });
  if ((!ctx.noBuild || !existsSync(exe)) && !builtOnce.has(target)) {
    builtOnce.add(target);
    if (!existsSync(path.join(buildDir, 'CMakeCache.txt'))) {
      progress(`configuring ${ctx.nativeBuildDir} (native, Release)`);
      const r = run('cmake', ['-S', '.', '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release', '-DEPLB_BUILD_TESTS=OFF'], 600e3);
      if (r.status !== 0) return { error: `cmake configure failed: ${tail(r)}` };
    }
    progress(`building ${target} in ${ctx.nativeBuildDir} (incremental)`);
    const r = run('cmake', ['--build', buildDir, '-j2', '--target', target], 1800e3);
    if (r.status !== 0) {
      if (!existsSync(exe)) return { error: `build failed: ${tail(r)}` };
      progress(`native build of ${target} failed; using the previous binary`);
    }
  }
  if (!existsSync(exe)) return { error: `${exe} missing (is libbenchmark-dev installed?)` };
  return { exe, buildDir };
}

const tail = (r) => String(r.error?.message ?? r.stderr ?? r.stdout ?? '').trim().split('\n').slice(-3).join(' / ').slice(-300);

/** Runs DeepSeek's eplb.py (Debian's python3 with torch) on the same inputs. */
function runReference(manifestFile, cases, ctx) {
  if (!ctx.referencePath) return { status: 'absent: no --reference PATH and no EPLB_REFERENCE; reference columns empty' };
  if (!existsSync(ctx.referencePath)) return { status: `absent: ${ctx.referencePath} does not exist` };
  const calls = Object.fromEntries(cases.map((c) => [c.name, (ctx.quick ? quickSpec.referenceCalls : speedSpec.reference.calls)[c.name] ?? 3]));
  const callsFile = path.join(ctx.tmpDir, 'reference-calls.json');
  writeFileSync(callsFile, JSON.stringify(calls));
  progress(`reference: ${ctx.python} ${ctx.referencePath} (${Object.entries(calls).map(([k, v]) => `${k} x${v}`).join(', ')})`);
  const r = spawnSync(ctx.python, [path.join(root, 'bench/lib/reference_timer.py'), ctx.referencePath, manifestFile, callsFile], {
    cwd: root, encoding: 'utf8', timeout: 3600e3, maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) return { status: `failed: ${ctx.python} exited ${r.status ?? r.error?.message}` };
  const out = JSON.parse(r.stdout);
  const results = {};
  for (const c of cases) {
    const rc = out.cases[c.name];
    if (!rc) continue;
    let differ = null;
    let logcntSame = null;
    if (c.deepseekPhy2log && rc.phy2log.length === c.deepseekPhy2log.length) {
      differ = 0;
      for (let i = 0; i < rc.phy2log.length; i++) if (rc.phy2log[i] !== c.deepseekPhy2log[i]) differ++;
      // Replica counts read off the reference's phy2log, against ours.
      const { layers, experts } = c.w;
      const counts = new Int32Array(layers * experts);
      const R = rc.phy2log.length / layers;
      for (let i = 0; i < rc.phy2log.length; i++) counts[Math.floor(i / R) * experts + rc.phy2log[i]]++;
      logcntSame = counts.every((x, i) => x === c.deepseekLogcnt[i]);
    }
    results[c.name] = {
      median: median(rc.times_ms), cpu: median(rc.cpu_ms ?? []), calls: rc.times_ms.length, differ, logcntSame, slots: rc.phy2log.length,
    };
  }
  return { status: 'ok', results, info: `torch ${out.torch}, ${out.threads} threads` };
}

/** The speed tables. */
export function speedSections(s, ctx) {
  const rows = [];
  const unsupported = new Set();
  for (const c of s.cases) {
    const ref = c.reference?.median;
    for (const { algorithm, policy } of s.combos) {
      const k = comboKey(algorithm, policy);
      const wv = c.wasm[k] ?? {};
      const nv = c.native[k] ?? {};
      if (wv.error) {
        unsupported.add(wv.error);
        rows.push([c.name, algorithm, policy, 'unsupported', '', '', '', '', '', '', '']);
        continue;
      }
      rows.push([
        c.name, algorithm, policy, `${ms(wv.median)} (${wv.calls})`, ms(wv.cpu), nv.error ? 'error' : ms(nv.median), ms(nv.cpu),
        ratio(wv.median / nv.median), ratio(ref / wv.median), ratio(ref / nv.median),
        algorithm === ctx.referenceAlgorithm && policy === 'auto' && c.reference?.differ !== null && c.reference?.differ !== undefined
          ? (c.reference.differ === 0
            ? 'phy2log = reference'
            : `phy2log: ${c.reference.differ} of ${c.reference.slots} slots differ; logcnt ${c.reference.logcntSame ? '=' : '!='} reference`)
          : '',
      ]);
    }
    rows.push([c.name, 'DeepSeek reference (Python)', 'auto', ref ? `${ms(ref)} (${c.reference.calls})` : 'absent', ref ? ms(c.reference.cpu) : '', '', '', '', '', '', '']);
  }
  const scaling = [];
  const [v3, ...bigger] = s.cases;
  for (const { algorithm, policy } of s.combos) {
    const k = comboKey(algorithm, policy);
    if (v3.wasm[k]?.error) continue;
    scaling.push([
      algorithm, policy,
      ...s.cases.map((c) => `${ms(c.wasm[k]?.median)} / ${ms(c.native[k]?.median)}`),
      ...bigger.map((c) => `${ratio(c.wasm[k]?.median / v3.wasm[k]?.median)} / ${ratio(c.native[k]?.median / v3.native[k]?.median)}`),
    ]);
  }
  const cfg = s.wasmCfg;
  const side = s.side;
  const sideTable = side?.status === 'ok'
    ? [
      {
        caption: `Side by side at ${side.label} (real file), ${side.algorithm}: ${side.rounds.length} rounds, each of one reference call, the median of ${side.cfg.wasmCalls} WASM calls and a native Google Benchmark run of at least ${side.cfg.nativeMinTime} s, back to back; ratios per round, then the median. Wall ms (cpu ms).`,
        columns: ['round', 'reference ms (cpu)', 'WASM ms (cpu)', 'native ms (cpu)', 'reference / WASM', 'reference / native', 'cpu: reference / WASM', 'cpu: reference / native'],
        rows: [
          ...side.rounds.map((r, i) => [
            String(i + 1), `${ms(r.reference)} (${ms(r.referenceCpu)})`, `${ms(r.wasm)} (${ms(r.wasmCpu)})`, `${ms(r.native)} (${ms(r.nativeCpu)})`,
            ratio(r.reference / r.wasm), ratio(r.reference / r.native), ratio(r.referenceCpu / r.wasmCpu), ratio(r.referenceCpu / r.nativeCpu),
          ]),
          [
            'median', `${ms(side.reference)} (${ms(side.referenceCpu)})`, `${ms(side.wasm)} (${ms(side.wasmCpu)})`, `${ms(side.native)} (${ms(side.nativeCpu)})`,
            ratio(side.ratioWasm), ratio(side.ratioNative), ratio(side.referenceCpu / side.wasmCpu), ratio(side.referenceCpu / side.nativeCpu),
          ],
        ],
      },
      ...(side.bigName
        ? [{
            caption: `Growth side by side, ${side.algorithm}: in the same rounds, the median of ${side.cfg.growthCalls} WASM calls at ${side.bigLabel} right after the V3 calls, and the native run of both shapes; the ratio per round, then the median.`,
            columns: ['round', 'WASM v3 ms', `WASM ${side.bigName} ms`, 'WASM growth', 'native v3 ms', `native ${side.bigName} ms`, 'native growth'],
            rows: [
              ...side.rounds.map((r, i) => [String(i + 1), ms(r.wasm), ms(r.wasmBig), ratio(r.wasmBig / r.wasm), ms(r.native), ms(r.nativeBig), ratio(r.nativeBig / r.native)]),
              ['median', ms(side.wasm), ms(side.wasmBig), ratio(side.growthWasm), ms(side.native), ms(side.nativeBig), ratio(side.growthNative)],
            ],
          }]
        : []),
    ]
    : [];
  return {
    title: 'Speed: one rebalance call (WASM under Node, native, DeepSeek reference), same inputs, one run',
    command: 'npm run bench -- --only speed   # EPLB_REFERENCE=/path/to/eplb.py for the reference columns',
    tables: [
      {
        caption: `Shapes: ${s.cases.map((c) => `${c.name} = ${c.label} (${c.source.real ? `real file ${c.source.real}` : `synthetic seed ${c.source.seed}`})`).join('; ')}. Times in ms, medians.`,
        columns: ['shape', 'algorithm', 'policy', 'WASM ms (calls)', 'WASM cpu ms', 'native ms', 'native cpu ms', 'WASM / native', 'reference / WASM', 'reference / native', 'reference parity'],
        align: ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
        rows,
      },
      {
        caption: 'Growth with the shape: median ms WASM / native, and the time relative to the V3 shape (WASM / native).',
        columns: ['algorithm', 'policy', ...s.cases.map((c) => `${c.name} ms`), ...bigger.map((c) => `${c.name} / v3`)],
        align: ['l', 'l', ...s.cases.map(() => 'r'), ...bigger.map(() => 'r')],
        rows: scaling,
      },
      ...sideTable,
    ],
    notes: [
      `WASM: ${cfg.warmup} warm-up calls, then up to ${cfg.maxCalls} calls or ${cfg.budgetSeconds} s (at least ${cfg.minCalls}); the median wall time; js/generated/eplb.wasm as built.`,
      "cpu ms: CPU time of the process per call (WASM: the mean over the timed calls from process.cpuUsage(), which counts V8's background threads too (garbage collection of the returned arrays), so it can exceed the wall time; native: Google Benchmark cpu_time; reference: time.process_time()). On this shared machine wall time often runs at up to twice the CPU time.",
      `Native: ${s.native.status === 'ok' ? s.native.context : s.native.status}.`,
      'Reference parity: our deepseek (auto) placement against the reference\'s on the same input; the reference breaks ties between equal loads by an unstable sort (SPEC section 2), so slots of tied experts may differ.',
      `Reference: ${s.reference.status === 'ok' ? `DeepSeek's eplb.py under ${ctx.python} (${s.reference.info}), one warm-up call, the median of the timed calls` : s.reference.status}.`,
      ...[...unsupported].map((e) => `unsupported: ${e}`),
      'Policies timed: ' + speedSpec.policies.filter((p) => ctx.policies.includes(p)).join(', ') + ` (of the module's ${ctx.policies.join(', ')}); 'auto' is the reference's choice (hierarchical here).`,
    ],
  };
}

/** The figures the targets are judged on. */
export function speedTargets(s, ctx) {
  const k = comboKey(ctx.referenceAlgorithm, 'auto');
  const [v3] = s.cases;
  const largest = s.cases.find((c) => c.name === '61x1024');
  const ref = v3.reference?.median;
  const side = s.side?.status === 'ok' ? s.side : null;
  return {
    side,
    v3Wasm: v3.wasm[k]?.median,
    v3Native: v3.native[k]?.median,
    refV3: ref,
    ratioWasm: ref / v3.wasm[k]?.median,
    ratioNative: ref / v3.native[k]?.median,
    growthWasm: largest && largest.wasm[k]?.median / v3.wasm[k]?.median,
    growthNative: largest && largest.native[k]?.median / v3.native[k]?.median,
    largestWasm: largest?.wasm[k]?.median,
    largestNative: largest?.native[k]?.median,
  };
}
