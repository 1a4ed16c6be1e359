#!/usr/bin/env node
// The benchmark suite (npm run bench): speed (WASM, native, DeepSeek's Python reference side by
// side), quality on the real and synthetic workloads, time series, memory. The workloads are data
// in bench/workloads.mjs; algorithms and policies are enumerated from the module at run time.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { failuresSection, runFailures } from './lib/failures.mjs';
import { memorySection, runMemory } from './lib/memory.mjs';
import { nextWindowSection, runNextWindow } from './lib/next-window.mjs';
import { qualitySections, runQuality } from './lib/quality.mjs';
import { f1, ms, ratio, renderMarkdown, renderText } from './lib/report.mjs';
import { runSpeed, speedSections, speedTargets } from './lib/speed.mjs';
import { algorithmsOf, policiesOf, progress, root } from './lib/suite.mjs';
import { runTimeline, timelineSection } from './lib/timeline.mjs';
import { timeline as timelineSpec } from './workloads.mjs';

const SECTIONS = ['speed', 'quality', 'next-window', 'failures', 'timeline', 'memory'];
const MD_BEGIN = '<!-- npm run bench: begin -->';
const MD_END = '<!-- npm run bench: end -->';
const USAGE = `Usage: npm run bench -- [options]   (node bench/run.mjs [options])

  --quick              fewer files, seeds and calls: a smoke run
  --only LIST          comma-separated sections: ${SECTIONS.join(', ')} (default: all)
  --markdown FILE      also write the report as markdown to FILE (a FILE holding the markers
                       <!-- npm run bench: begin --> and <!-- npm run bench: end --> keeps the
                       text around them: BENCHMARKS.md)
  --json FILE          also write the raw results as JSON to FILE
  --reference PATH     DeepSeek's eplb.py for the side-by-side speed columns (or env EPLB_REFERENCE)
  --python EXE         the Python with torch for the reference (default /usr/bin/python3)
  --native-build DIR   CMake build folder of the native target (default build-bench; built when missing)
  --no-build           time the existing native binary without running cmake --build first
  --build-wasm         run npm run build (scripts/build.mjs) first, so WASM and native run the same sources
  --no-native          skip the native Google Benchmark figures
  --help               this text
`;

function parseArgs(argv) {
  const o = { only: SECTIONS, python: '/usr/bin/python3', nativeBuildDir: 'build-bench', referencePath: process.env.EPLB_REFERENCE || null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (a === '--quick') o.quick = true;
    else if (a === '--only') {
      o.only = val().split(',').map((s) => s.trim()).filter(Boolean);
      for (const s of o.only) if (!SECTIONS.includes(s)) usage(`unknown section '${s}' (known: ${SECTIONS.join(', ')})`);
    } else if (a === '--markdown') o.markdown = val();
    else if (a === '--json') o.json = val();
    else if (a === '--reference') o.referencePath = val();
    else if (a === '--python') o.python = val();
    else if (a === '--native-build') o.nativeBuildDir = val();
    else if (a === '--no-build') o.noBuild = true;
    else if (a === '--build-wasm') o.buildWasm = true;
    else if (a === '--no-native') o.noNative = true;
    else usage(`unknown option ${a}`);
  }
  return o;
}

function usage(msg) {
  process.stderr.write(`bench: ${msg}\n\n${USAGE}`);
  process.exit(2);
}

const sh = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};

function machine() {
  const cpuinfo = (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return '';
    }
  })();
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const emcc = sh('emcc', ['--version'])?.split('\n')[0].match(/\d+\.\d+\.\d+/)?.[0] ?? 'not found';
  const wasm = path.join(root, 'js/generated/eplb.wasm');
  let wasmTime = 'missing';
  try {
    wasmTime = statSync(wasm).mtime.toISOString().replace(/\.\d+Z$/, 'Z');
  } catch {}
  // The newest source change under cpp/ and bindings/: a WASM older than that may run older code
  // than the native target, which is built from the working tree.
  let newest = 0;
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  try {
    walk(path.join(root, 'cpp'));
    walk(path.join(root, 'bindings'));
  } catch {}
  const stale = wasmTime !== 'missing' && newest > statSync(wasm).mtimeMs;
  const head = sh('git', ['rev-parse', '--short', 'HEAD']) ?? '?';
  const dirty = (sh('git', ['status', '--porcelain', '--', 'cpp', 'bindings', 'js']) ?? '').length > 0;
  return {
    nproc: sh('nproc', []) ?? String(os.cpus().length),
    cpu: model,
    node: process.version,
    emscripten: emcc,
    load: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    git: `${head}${dirty ? ' + uncommitted changes in cpp/, bindings/ or js/' : ''}`,
    wasmTime,
    stale: stale ? new Date(newest).toISOString().replace(/\.\d+Z$/, 'Z') : null,
  };
}

function targetsSection(results) {
  const rows = [];
  const verdict = (ok) => (ok === null ? 'not measured' : ok ? 'met' : 'NOT met');
  const st = results.speed && speedTargets(results.speed, results.ctx);
  if (st) {
    const ok = (x, pred) => (Number.isFinite(x) ? pred(x) : null);
    rows.push(['deepseek, V3 shape, native median', '<= 0.3 ms', Number.isFinite(st.v3Native) ? `${ms(st.v3Native)} ms` : 'not measured', verdict(ok(st.v3Native, (x) => x <= 0.3))]);
    rows.push(['deepseek, V3 shape, WASM median', '<= 0.5 ms', `${ms(st.v3Wasm)} ms`, verdict(ok(st.v3Wasm, (x) => x <= 0.5))]);
    rows.push(['deepseek vs DeepSeek reference, V3 shape (WASM)', '>= 400x', Number.isFinite(st.ratioWasm) ? `${ratio(st.ratioWasm)} (reference ${ms(st.refV3)} ms)` : 'reference absent', verdict(ok(st.ratioWasm, (x) => x >= 400))]);
    rows.push(['deepseek vs DeepSeek reference, V3 shape (native)', '>= 400x', Number.isFinite(st.ratioNative) ? ratio(st.ratioNative) : 'not measured', verdict(ok(st.ratioNative, (x) => x >= 400))]);
    if (st.side) {
      const sd = st.side;
      rows.push(['side by side (interleaved rounds): deepseek WASM / native median, V3 shape', '<= 0.5 / <= 0.3 ms', `${ms(sd.wasm)} / ${ms(sd.native)} ms`, verdict(ok(sd.wasm, (x) => x <= 0.5) && ok(sd.native, (x) => x <= 0.3))]);
      rows.push(['side by side: reference / deepseek, WASM (median of rounds)', '>= 400x', Number.isFinite(sd.ratioWasm) ? `${ratio(sd.ratioWasm)} (reference ${ms(sd.reference)} ms)` : 'reference absent', verdict(ok(sd.ratioWasm, (x) => x >= 400))]);
      rows.push(['side by side: reference / deepseek, native (median of rounds)', '>= 400x', Number.isFinite(sd.ratioNative) ? ratio(sd.ratioNative) : 'not measured', verdict(ok(sd.ratioNative, (x) => x >= 400))]);
      if (sd.bigName) {
        rows.push([`side by side: deepseek ${sd.bigName} / V3 time, WASM (median of rounds)`, '<= 15x', `${ratio(sd.growthWasm)} (${ms(sd.wasmBig)} ms)`, verdict(ok(sd.growthWasm, (x) => x <= 15))]);
        rows.push([`side by side: deepseek ${sd.bigName} / V3 time, native (median of rounds)`, '<= 15x', Number.isFinite(sd.growthNative) ? `${ratio(sd.growthNative)} (${ms(sd.nativeBig)} ms)` : 'not measured', verdict(ok(sd.growthNative, (x) => x <= 15))]);
      }
    }
    rows.push(['deepseek, 61x1024 -> 2048/256 vs V3 time (WASM)', '<= 15x', `${ratio(st.growthWasm)} (${ms(st.largestWasm)} ms)`, verdict(ok(st.growthWasm, (x) => x <= 15))]);
    rows.push(['deepseek, 61x1024 -> 2048/256 vs V3 time (native)', '<= 15x', Number.isFinite(st.growthNative) ? `${ratio(st.growthNative)} (${ms(st.largestNative)} ms)` : 'not measured', verdict(ok(st.growthNative, (x) => x <= 15))]);
  }
  const m = results.memory;
  if (m && !m.error) {
    for (const l of m.loops.filter((x) => !x.error))
      rows.push([`${l.algorithm}: RSS growth over ${l.calls} calls (V3 shape)`, '< 16 MiB, malloc back where it was',
        `${f1(l.growthMiB)} MiB; in use ${l.inUseBefore} -> ${l.inUseAfter} B`, l.calls < m.args.calls ? `${verdict(l.growthMiB < 16 && l.inUseAfter <= l.inUseBefore)} (only ${l.calls} calls)` : verdict(l.growthMiB < 16 && l.inUseAfter <= l.inUseBefore)]);
    const ok = m.heaps.filter((h) => !h.error);
    if (ok.length) {
      const worst = ok.reduce((a, b) => (b.afterEvaluateMiB > a.afterEvaluateMiB ? b : a));
      rows.push(['WASM heap at 61x1024 -> 2048/256 (largest over algorithms and policies)', '<= 32 MiB', `${f1(worst.afterEvaluateMiB)} MiB (${worst.algorithm}/${worst.policy})`, verdict(worst.afterEvaluateMiB <= 32)]);
    }
  }
  return {
    title: 'Speed and memory targets, judged on the figures of this run',
    command: 'EPLB_REFERENCE=/path/to/eplb.py npm run bench',
    tables: [{ columns: ['target', 'wanted', 'measured', 'verdict'], align: ['l', 'l', 'l', 'l'], rows }],
    notes: ['Timings are medians of one run on a shared, noisy machine; ratios measured side by side are the steadier figures.'],
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.buildWasm) {
    progress('building the WASM module (npm run build)');
    const r = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (r.status !== 0) throw new Error('npm run build failed');
  }
  // Imported after the optional build, so that the module loaded is the one just built.
  if (!existsSync(path.join(root, 'js/generated/eplb.wasm')))
    throw new Error('js/generated/eplb.wasm is missing: run npm run build first (or pass --build-wasm)');
  const { loadEplb } = await import('eplb-wasm');
  // One snapshot of the module's bytes for the whole run (child processes load the same copy even
  // if js/generated/ is rebuilt meanwhile).
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'eplb-bench-'));
  const wasmBinary = readFileSync(path.join(root, 'js/generated/eplb.wasm'));
  const wasmFile = path.join(tmpDir, 'eplb.wasm');
  writeFileSync(wasmFile, wasmBinary);
  const wasmSha = createHash('sha256').update(wasmBinary).digest('hex').slice(0, 12);
  const eplb = await loadEplb({ wasmBinary });
  const { policies, source: policySource } = policiesOf(eplb);
  const ctx = { ...opts, tmpDir, wasmFile, eplb, algorithms: algorithmsOf(eplb), policies, referenceAlgorithm: timelineSpec.reference };
  const m = machine();
  progress(`algorithms: ${ctx.algorithms.join(', ')}; policies: ${policies.join(', ')} (from ${policySource})`);
  const results = { machine: m, ctx: { algorithms: ctx.algorithms, policies, referenceAlgorithm: ctx.referenceAlgorithm, quick: !!opts.quick, python: opts.python } };
  const t0 = Date.now();
  try {
    if (opts.only.includes('speed')) results.speed = await runSpeed(eplb, ctx);
    if (opts.only.includes('quality')) results.quality = runQuality(eplb, ctx);
    if (opts.only.includes('next-window')) results.nextWindow = runNextWindow(eplb, ctx);
    if (opts.only.includes('failures')) results.failures = runFailures(eplb, ctx);
    if (opts.only.includes('timeline')) results.timeline = runTimeline(eplb, ctx);
    if (opts.only.includes('memory')) results.memory = runMemory(eplb, ctx);
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  const sections = [];
  if (results.speed || results.memory) sections.push(targetsSection(results));
  if (results.speed) sections.push(speedSections(results.speed, results.ctx));
  if (results.quality) sections.push(...qualitySections(results.quality));
  if (results.nextWindow) sections.push(nextWindowSection(results.nextWindow));
  if (results.failures) sections.push(failuresSection(results.failures));
  if (results.timeline) sections.push(timelineSection(results.timeline));
  if (results.memory) sections.push(memorySection(results.memory));
  const header = [
    `Machine: ${m.nproc} cores (\`nproc\`), ${m.cpu}; Node ${m.node}; Emscripten ${m.emscripten}; load average at start ${m.load}.`,
    `Run: ${m.date}, ${Math.round((Date.now() - t0) / 1000)} s; git ${m.git}; js/generated/eplb.wasm built ${m.wasmTime} (sha256 ${wasmSha}…)${m.stale ? ` (older than the newest change in cpp/ or bindings/, ${m.stale}: WASM and native may differ; rerun with --build-wasm)` : ''}${opts.quick ? '; --quick (smoke run)' : ''}.`,
    `Algorithms (eplb.algorithms()): ${ctx.algorithms.join(', ')}; policies: ${policies.join(', ')} (from ${policySource}).`,
  ];
  process.stdout.write(renderText(sections, header) + '\n');
  if (opts.markdown) {
    const md = renderMarkdown(sections, header.map((l) => `${l}  `));
    // A file with the markers keeps its text around them (BENCHMARKS.md); any other is replaced.
    let old = null;
    try {
      old = readFileSync(opts.markdown, 'utf8');
    } catch {}
    const begin = old?.indexOf(MD_BEGIN) ?? -1;
    const end = old?.indexOf(MD_END) ?? -1;
    if (begin >= 0 && end > begin) writeFileSync(opts.markdown, `${old.slice(0, begin + MD_BEGIN.length)}\n${md}\n${old.slice(end)}`);
    else writeFileSync(opts.markdown, `${md}\n`);
    progress(`markdown written to ${opts.markdown}${begin >= 0 && end > begin ? ' (between its markers)' : ''}`);
  }
  if (opts.json) {
    const replacer = (k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : k === 'w' || k === 'deepseekPhy2log' || k === 'deepseekLogcnt' ? undefined : v);
    writeFileSync(opts.json, JSON.stringify(results, replacer, 1));
    progress(`json written to ${opts.json}`);
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${e?.stack ?? e}\n`);
  process.exit(1);
});
