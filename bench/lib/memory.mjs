// Section (e): memory. Repeated calls at the V3 shape leave the process's RSS and the WASM heap
// where they were; the WASM memory size after a call at the largest shape. Runs in a child Node
// process (--expose-gc) so that the other sections do not share its memory.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { memory as spec, quick as quickSpec, speed as speedSpec } from '../workloads.mjs';
import { progress, root, shapeLabel, sourceLoads, topologyOptions, writeMatrix } from './suite.mjs';
import { f1 } from './report.mjs';

export function runMemory(eplb, ctx) {
  const input = (caseName) => {
    const c = speedSpec.cases.find((x) => x.name === caseName);
    const w = sourceLoads(eplb, c.source);
    const file = path.join(ctx.tmpDir, `memory-${c.name}.f64`);
    writeMatrix(file, w);
    const topology = topologyOptions(c.topology);
    return { path: file, layers: w.layers, experts: w.experts, topology, label: shapeLabel(w, topology) };
  };
  const args = {
    wasmFile: ctx.wasmFile,
    v3: input(spec.case),
    largest: input(spec.largest),
    algorithms: ctx.algorithms,
    policies: speedSpec.policies.filter((p) => ctx.policies.includes(p)),
    calls: ctx.quick ? quickSpec.memoryCalls : spec.calls,
    warmup: spec.warmup,
    budgetSeconds: ctx.quick ? quickSpec.memoryBudgetSeconds : spec.budgetSeconds,
  };
  const argsFile = path.join(ctx.tmpDir, 'memory-args.json');
  writeFileSync(argsFile, JSON.stringify(args));
  const child = (...rest) => {
    const r = spawnSync(process.execPath, ['--expose-gc', path.join(root, 'bench/lib/memory-child.mjs'), argsFile, ...rest], {
      cwd: root, encoding: 'utf8', timeout: 3600e3, maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (r.status !== 0) throw new Error(`memory child (${rest.join(' ')}) exited ${r.status ?? r.error?.message}`);
    return JSON.parse(r.stdout.trim().split('\n').pop());
  };
  try {
    progress(`memory: up to ${args.calls} calls per algorithm, each algorithm in a fresh Node process`);
    const loops = args.algorithms.map((a) => child('loop', a));
    const heaps = child('heaps');
    return { loops, heaps, args };
  } catch (e) {
    return { error: e.message, args };
  }
}

export function memorySection(m) {
  if (m.error) return { title: 'Memory', tables: [], notes: [m.error] };
  return {
    title: 'Memory: repeated calls and the WASM heap at the largest shape',
    command: 'npm run bench -- --only memory',
    tables: [
      {
        caption: `Repeated rebalance calls at ${m.args.v3.label} (real file), each algorithm in a fresh Node process with --expose-gc; RSS after a full GC, before and after the calls (after up to ${m.args.warmup} warm-up calls).`,
        columns: ['algorithm', 'calls', 's', 'RSS before MiB', 'RSS after MiB', 'growth MiB', 'WASM malloc in use before / after (bytes)', 'WASM memory before / after MiB'],
        align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
        rows: m.loops.map((l) =>
          l.error
            ? [l.algorithm, `error: ${l.error}`, '', '', '', '', '', '']
            : [l.algorithm, l.calls, f1(l.seconds), f1(l.rssBeforeMiB), f1(l.rssAfterMiB), (l.growthMiB >= 0 ? '+' : '') + f1(l.growthMiB),
               `${l.inUseBefore} / ${l.inUseAfter}`, `${f1(l.heapBefore)} / ${f1(l.heapAfter)}`],
        ),
      },
      {
        caption: `WASM memory (the module's heap, eplb.heapStats().heapBytes) after one call at ${m.args.largest.label}, each in a fresh module instance (WASM memory never shrinks: this is the call's high-water mark).`,
        columns: ['algorithm', 'policy', 'at start MiB', 'after rebalance MiB', 'after evaluate MiB', 'malloc in use after (bytes)'],
        align: ['l', 'l', 'r', 'r', 'r', 'r'],
        rows: m.heaps.map((h) =>
          h.error
            ? [h.algorithm, h.policy, f1(h.startMiB), 'unsupported', '', '']
            : [h.algorithm, h.policy, f1(h.startMiB), f1(h.afterRebalanceMiB), f1(h.afterEvaluateMiB), h.inUseAfter],
        ),
      },
    ],
    notes: [
      `Calls per algorithm: ${m.args.calls}, fewer when an algorithm needs more than ${m.args.budgetSeconds} s for them (the count is shown).`,
      'The API offers eplb.heapStats(): { inUse: malloc\'d bytes, heapBytes: size of the WASM memory }.',
    ],
  };
}
