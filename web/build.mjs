// Bundles the dashboard into web/build/ (ignored by git): the page, its Web Worker with the
// eplb-wasm package inlined, the package's .wasm file and the bundled load files.
//   node web/build.mjs            build once
import { build as esbuild } from 'esbuild';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
export const outdir = path.join(here, 'build');
const dataDir = path.join(root, 'data', 'deepseek-v3-sglang');

// The package's browser entry, from its own package.json (the dashboard lives in the package).
function packageEntry() {
  // EPLB_WASM_ENTRY: bundle another build of the package (its browser entry file) instead.
  if (process.env.EPLB_WASM_ENTRY) return path.resolve(process.env.EPLB_WASM_ENTRY);
  const pkgPath = path.join(root, 'package.json');
  if (!fs.existsSync(pkgPath)) throw new Error('package.json not found at the repository root');
  const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));
  let e = pkg.exports;
  if (e && typeof e === 'object' && e['.']) e = e['.'];
  const pick = (x) => (typeof x === 'string' ? x : x && (pick(x.browser) || pick(x.import) || pick(x.default)));
  const rel = pick(e) || pkg.browser || pkg.module || pkg.main;
  if (!rel) throw new Error('package.json names no entry point');
  return path.join(root, rel);
}

function findWasm(dir, depth = 2) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, d.name);
    if (d.isFile() && d.name.endsWith('.wasm')) out.push(p);
    else if (d.isDirectory() && depth > 0 && d.name !== 'node_modules') out.push(...findWasm(p, depth - 1));
  }
  return out;
}

function ensurePackageBuilt(entry) {
  if (findWasm(path.dirname(entry)).length || process.env.EPLB_WASM_ENTRY) return;
  console.log('eplb-wasm is not built yet; running `npm run build` first…');
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('`npm run build` failed; the dashboard needs the WebAssembly module');
}

export async function build({ quiet = false } = {}) {
  const entry = packageEntry();
  ensurePackageBuilt(entry);
  // Start clean, but keep the browser test's screenshots.
  fs.mkdirSync(outdir, { recursive: true });
  for (const f of fs.readdirSync(outdir)) if (f !== 'screenshots') fs.rmSync(path.join(outdir, f), { recursive: true, force: true });
  fs.mkdirSync(path.join(outdir, 'data'), { recursive: true });
  await esbuild({
    entryPoints: [path.join(here, 'src', 'main.js'), path.join(here, 'src', 'worker.js')],
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2020'],
    minify: !process.env.EPLB_NO_MINIFY, // EPLB_NO_MINIFY=1: readable names in CPU profiles
    sourcemap: 'linked',
    alias: { 'eplb-wasm': entry },
    external: ['fs', 'path', 'url', 'module', 'crypto', 'worker_threads', 'node:*'],
    logLevel: quiet ? 'error' : 'warning',
  });
  const wasm = findWasm(path.dirname(entry));
  for (const f of wasm) fs.copyFileSync(f, path.join(outdir, path.basename(f)));
  for (const f of ['index.html', 'styles.css']) fs.copyFileSync(path.join(here, f), path.join(outdir, f));
  const files = fs.readdirSync(dataDir).filter((f) => f.endsWith('.json')).sort();
  for (const f of files) fs.copyFileSync(path.join(dataDir, f), path.join(outdir, 'data', f));
  fs.writeFileSync(path.join(outdir, 'data', 'index.json'), JSON.stringify(files));
  if (!quiet) console.log(`dashboard built in ${path.relative(process.cwd(), outdir) || '.'} (${files.length} load files, ${wasm.length} wasm file${wasm.length === 1 ? '' : 's'})`);
  return outdir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  build().catch((err) => {
    console.error(`build failed: ${err.message}`);
    process.exit(1);
  });
}
