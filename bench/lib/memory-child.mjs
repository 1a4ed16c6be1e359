// Run by bench/lib/memory.mjs as `node --expose-gc memory-child.mjs ARGS.json MODE [ALGORITHM]`, in a
// process of its own so that nothing else shares its memory: MODE 'loop' repeats the calls of one
// algorithm, MODE 'heaps' measures the WASM memory at the largest shape. Prints one JSON object.
import { readFileSync } from 'node:fs';
import { loadEplb } from 'eplb-wasm';

const args = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const readMatrix = ({ path, layers, experts }) => {
  const b = readFileSync(path);
  return { data: new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), layers, experts };
};
const gc = () => {
  for (let i = 0; i < 3; i++) globalThis.gc?.();
};
const MiB = 2 ** 20;
// The run's snapshot of eplb.wasm (the parent's copy), when given.
const wasmBinary = args.wasmFile ? readFileSync(args.wasmFile) : undefined;
const load = () => loadEplb(wasmBinary ? { wasmBinary } : undefined);
const now = () => Number(process.hrtime.bigint()) / 1e6;

const [mode, algorithm] = process.argv.slice(3);
if (mode === 'loop') console.log(JSON.stringify(await loop(algorithm)));
else if (mode === 'heaps') console.log(JSON.stringify(await heaps()));
else throw new Error(`unknown mode ${mode}`);

async function loop(a) {
  const eplb = await load();
  const w = readMatrix(args.v3);
  const opts = { ...args.v3.topology, algorithm: a };
  try {
    eplb.rebalance(w, opts);
  } catch (e) {
    return { algorithm: a, error: String(e.message) };
  }
  const budget = args.budgetSeconds * 1000;
  let t0 = now();
  for (let i = 0; i < args.warmup && now() - t0 < budget / 10; i++) eplb.rebalance(w, opts);
  gc();
  const rss0 = process.memoryUsage().rss;
  const heap0 = eplb.heapStats();
  t0 = now();
  let calls = 0;
  while (calls < args.calls && (calls < 10 || now() - t0 < budget)) {
    eplb.rebalance(w, opts);
    calls++;
  }
  const seconds = (now() - t0) / 1000;
  gc();
  const rss1 = process.memoryUsage().rss;
  const heap1 = eplb.heapStats();
  process.stderr.write(`[bench] memory ${a}: ${calls} calls\n`);
  return {
    algorithm: a, calls, seconds,
    rssBeforeMiB: rss0 / MiB, rssAfterMiB: rss1 / MiB, growthMiB: (rss1 - rss0) / MiB,
    inUseBefore: heap0.inUse, inUseAfter: heap1.inUse, heapBefore: heap0.heapBytes / MiB, heapAfter: heap1.heapBytes / MiB,
  };
}

// The WASM memory size after one call at the largest shape, each in a fresh instance (WASM memory
// only grows, so its size is the high-water mark of that call).
async function heaps() {
  const big = readMatrix(args.largest);
  const rows = [];
  for (const a of args.algorithms)
    for (const policy of args.policies) {
      const inst = await load();
      const before = inst.heapStats();
      const row = { algorithm: a, policy, startMiB: before.heapBytes / MiB };
      try {
        const p = inst.rebalance(big, { ...args.largest.topology, algorithm: a, policy });
        row.afterRebalanceMiB = inst.heapStats().heapBytes / MiB;
        inst.evaluate(p, big);
        const after = inst.heapStats();
        row.afterEvaluateMiB = after.heapBytes / MiB;
        row.inUseBefore = before.inUse;
        row.inUseAfter = after.inUse;
      } catch (e) {
        row.error = String(e.message);
      }
      rows.push(row);
    }
  return rows;
}
