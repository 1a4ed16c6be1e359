#!/usr/bin/env node
// Writes docs/bad-input.md: every bad input of tests/data/bad-inputs.json, and the JS-only ones
// below, as each entry point actually answers it (run: node scripts/bad-inputs-table.mjs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEplb } from '../js/node.js';
import { cliArgs, cliCaseArgs, forEntry, jsCall } from '../tests/data/bad-inputs.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const { cases, cli_cases: cliCases } = JSON.parse(readFileSync(path.join(root, 'tests/data/bad-inputs.json'), 'utf8'));
const eplb = await loadEplb();
const dir = mkdtempSync(path.join(tmpdir(), 'eplb-table-'));
const cell = (s) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const answer = (fn) => {
  try { fn(); return 'no error (!)'; } catch (e) { return `${e.name}: ${e.message}`; }
};

const cli = (args, input) => {
  const r = spawnSync(process.execPath, [path.join(root, 'js/cli.js'), ...args], { encoding: 'utf8', input });
  return `exit ${r.status}: ${cell(r.stderr.trim().replaceAll(dir + '/in.json', 'FILE'))}`;
};
const input = path.join(dir, 'in.json');
const rows = cases.map((c) => {
  const [read, opt] = jsCall(c);
  const js = forEntry(c, 'js') ? answer(() => eplb.rebalance(eplb.readLoads(c.file, read), opt)) : '(not expressible)';
  writeFileSync(input, c.file);
  const shown = forEntry(c, 'cli') ? cli(cliArgs(c, input)) : '(not expressible)';
  return `| ${cell(c.name)} | ${cell(js)} | ${shown} |`;
});
const cliRows = cliCases.map((c) => {
  writeFileSync(input, c.file);
  const args = cliCaseArgs(c, input);
  return `| ${cell(c.name)} | \`eplb ${cell(args.map((a) => (a === input ? 'FILE' : a)).join(' '))}\` | ${cli(args, c.file)} |`;
});

const good = [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]];
const ok = { replicas: 8, groups: 2, nodes: 2, gpus: 4 };
const jsOnly = {
  'weights not an array (a string)': () => eplb.rebalance('abc', ok),
  'weights null': () => eplb.rebalance(null, ok),
  'NaN in number[][]': () => eplb.rebalance([[1, NaN, 3, 4, 5, 6]], ok),
  'Infinity in number[][]': () => eplb.rebalance([[1, Infinity, 3, 4, 5, 6]], ok),
  'typed array shorter than layers x experts': () => eplb.rebalance({ data: new Float64Array(5), layers: 1, experts: 6 }, ok),
  'shape 2^20 x 2^20': () => eplb.rebalance({ data: new Float64Array(4), layers: 2 ** 20, experts: 2 ** 20 }, ok),
  'GPUs given as a string': () => eplb.rebalance(good, { ...ok, gpus: '4' }),
  'GPUs 1.5': () => eplb.rebalance(good, { ...ok, gpus: 1.5 }),
  'replicas 2^31': () => eplb.rebalance(good, { ...ok, replicas: 2 ** 31 }),
  'evaluate: placement from another tool missing an expert': () =>
    eplb.evaluate({ phy2log: [[0, 1, 2, 3, 4, 4, 4, 4], [0, 1, 2, 3, 4, 5, 5, 5]] }, good, { gpus: 4, nodes: 2, groups: 2 }),
  'evaluate: placement with an expert index out of range': () =>
    eplb.evaluate({ phy2log: [[0, 1, 2, 3, 4, 5, 9, 0], [0, 1, 2, 3, 4, 5, 0, 0]] }, good, { gpus: 4, nodes: 2, groups: 2 }),
  'previous placement of another shape': () =>
    eplb.rebalance(good, { ...ok, previous: { phy2log: [[0, 1, 2, 3, 4, 5]] } }),
  'an unknown option key ({ group: 2 })': () => eplb.rebalance(good, { ...ok, group: 2 }),
  'an unknown option key of evaluate ({ gpu: 4 })': () => eplb.evaluate(eplb.rebalance(good, ok), good, { gpu: 4 }),
  'an unknown option key of readLoads ({ dropdense: true })': () => eplb.readLoads('[[1]]', { dropdense: true }),
  'maxMoves without previous': () => eplb.rebalance(good, { ...ok, maxMoves: 2 }),
  'onProgress not a function': () => eplb.rebalance(good, { ...ok, onProgress: 1 }),
  'readLoads given a number': () => eplb.readLoads(42),
  'a reader returning more bytes than asked': () => eplb.readLoads({ read: () => 1e9 }),
  'log2phy beyond its limit (read on a 65,536-replica placement with all-zero layers)': () => {
    const w = { data: new Float64Array(61 * 256).fill(1, 256), layers: 61, experts: 256 };
    return eplb.rebalance(w, { replicas: 65536, gpus: 1, algorithm: 'deepseek' }).log2phy;
  },
};
const asyncOnly = {
  'loadEplb: wasmBinary of garbage bytes': () => loadEplb({ wasmBinary: new Uint8Array([1, 2, 3]) }),
  'loadEplb: wasmBinary a truncated module': () => loadEplb({ wasmBinary: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 9]) }),
  'loadEplb: wasmBinary a string': () => loadEplb({ wasmBinary: 'eplb.wasm' }),
  'loadEplb: wasmBinary another module': () => loadEplb({ wasmBinary: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 2, 10, 1, 3, 0x65, 0x6e, 0x76, 2, 0x7a, 0x7a, 0, 0]) }),
  'loadEplb: locateFile to a missing file': () => loadEplb({ locateFile: () => '/nonexistent/eplb.wasm' }),
  'loadEplb: an unknown option key': () => loadEplb({ wasmBinry: new Uint8Array(4) }),
};
const jsRows = Object.entries(jsOnly).map(([name, fn]) => `| ${cell(name)} | ${cell(answer(fn))} |`);
for (const [name, fn] of Object.entries(asyncOnly)) {
  let shown = 'no error (!)';
  await fn().catch((e) => { shown = `${e.name}: ${e.message}`; });
  jsRows.push(`| ${cell(name)} | ${cell(shown)} |`);
}
rmSync(dir, { recursive: true, force: true });

const md = `# Bad input: what each entry point answers

Generated by \`node scripts/bad-inputs-table.mjs\` from what the code actually does. The C++ API
throws \`eplb::InvalidInput\` (\`eplb::LimitExceeded\` for the size limits) with the core's
message, which the JS API rethrows as \`EplbError\` and the CLI prints as one line with exit code 2;
no output file is written; the module stays usable. Tests: \`tests/cpp/bad_inputs_test.cpp\` and
\`tests/js/bad-inputs.test.mjs\` go through every row of \`tests/data/bad-inputs.json\` (the CLI
rows with \`--output\`, checking that no file is written); \`tests/js/hostile.test.mjs\` and
\`tests/js/streaming.test.mjs\` cover the JS-only rows. "(not expressible)": that entry point has
no way to make the mistake (an options object with a misspelt key has no CLI form). Where the CLI
names its own flags (\`--window\`, \`--max-moves\`), it says so before the core is asked.
Limits are in [limits.md](limits.md).

## Load files and topologies (C++, JS API, CLI)

| input | JS API (\`readLoads\` + \`rebalance\`) | CLI (\`eplb rebalance\`) |
|---|---|---|
${rows.join('\n')}

## Mistakes only the command line can make

| input | command | CLI |
|---|---|---|
${cliRows.join('\n')}

## Inputs only the JS API can receive

| input | JS API |
|---|---|
${jsRows.join('\n')}
`;
writeFileSync(path.join(root, 'docs/bad-input.md'), md);
console.log(`wrote docs/bad-input.md (${rows.length} + ${cliRows.length} + ${jsRows.length} rows)`);
