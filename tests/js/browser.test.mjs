// The browser entry in headless Chromium: the package as an unbundled ES module, and bundled by
// esbuild for a page (the .wasm brought in through the "eplb-wasm/eplb.wasm" export). Skipped,
// saying so, where Debian's chromium is not installed.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { goldenDir, root } from './helpers.mjs';

const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(chromiumPath) ? false : `no Chromium at ${chromiumPath}`;
const dir = mkdtempSync(path.join(tmpdir(), 'eplb-browser-'));
const golden = JSON.parse(readFileSync(goldenDir + 'readme.json', 'utf8'));
const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.cjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const icon = '<link rel="icon" href="data:,">';
let server, browser, base;

// The page's script: rebalance the reference README example and report phy2log, or the error.
const pageScript = (importLine, loadArgs) => `${importLine}
try {
  const eplb = await loadEplb(${loadArgs});
  const p = eplb.rebalance(${JSON.stringify(golden.weight)}, { replicas: 16, groups: 4, nodes: 2, gpus: 8, algorithm: 'deepseek' });
  let rejected = false;
  try { eplb.rebalance([[1, NaN]], { replicas: 2, gpus: 1 }); } catch (e) { rejected = e instanceof EplbError; }
  window.result = { phy2log: Array.from(p.phy2log), rejected };
} catch (e) { window.result = { error: String(e) }; }
`;

before(async () => {
  if (skip) return;
  // Serves the repository (unbundled case) and the temporary folder (bundled case) under /tmp/.
  server = createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = url.startsWith('/tmp/') ? path.join(dir, url.slice(5)) : path.join(root, url);
    if (!file.startsWith(root) && !file.startsWith(dir)) return res.writeHead(403).end();
    if (!existsSync(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runPage(url) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60000 });
  const result = await page.evaluate(() => window.result);
  await page.close();
  return { result, errors };
}

function assertReadme({ result, errors }) {
  assert.deepEqual(errors, []);
  assert.equal(result.error, undefined);
  assert.deepEqual(result.phy2log, golden.phy2log.flat());
  assert.equal(result.rejected, true);
}

test('unbundled: the browser entry finds its own .wasm', { skip }, async () => {
  writeFileSync(path.join(dir, 'plain.html'), `<!doctype html>${icon}<script type="module">
${pageScript("import { loadEplb, EplbError } from '/js/browser.js';", '')}</script>`);
  assertReadme(await runPage(`${base}/tmp/plain.html`));
});

test('bundled by esbuild for a page, the .wasm imported as a file', { skip }, async () => {
  const { build } = await import('esbuild');
  // The page's project depends on the package as an installed dependency would.
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(root, path.join(dir, 'node_modules', 'eplb-wasm'));
  const entry = path.join(dir, 'entry.mjs');
  writeFileSync(entry, pageScript("import { loadEplb, EplbError } from 'eplb-wasm';\nimport wasmUrl from 'eplb-wasm/eplb.wasm';",
    '{ locateFile: () => new URL(wasmUrl, import.meta.url).href }'));
  await build({
    entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', outdir: path.join(dir, 'out'),
    loader: { '.wasm': 'file' }, absWorkingDir: dir, logLevel: 'error',
  });
  writeFileSync(path.join(dir, 'out', 'bundled.html'), `<!doctype html>${icon}<script type="module" src="entry.js"></script>`);
  assertReadme(await runPage(`${base}/tmp/out/bundled.html`));
});

test('in a browser, a .wasm that is not there or not WebAssembly is one EplbError naming what to pass', { skip }, async () => {
  writeFileSync(path.join(dir, 'missing.html'), `<!doctype html>${icon}<script type="module">
import { loadEplb, EplbError } from '/js/browser.js';
const out = [];
for (const options of [{ locateFile: () => '/tmp/nowhere/eplb.wasm' }, { locateFile: () => '/tmp/missing.html' }, { wasmBinary: new Uint8Array([7, 7]) }]) {
  try { await loadEplb(options); out.push('loaded'); } catch (e) { out.push((e instanceof EplbError) + ' ' + e.message); }
}
const eplb = await loadEplb();
out.push(eplb.rebalance([[1, 2]], { replicas: 2, gpus: 1 }).phy2log.length);
window.result = out;
</script>`);
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && !/Failed to load resource/.test(m.text()) && errors.push(m.text()));
  await page.goto(`${base}/tmp/missing.html`);
  await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60000 });
  const [missing, html, garbage, ok] = await page.evaluate(() => window.result);
  await page.close();
  assert.deepEqual(errors, []);
  assert.match(missing, /^true loadEplb: could not fetch eplb.wasm from \/tmp\/nowhere\/eplb.wasm \(HTTP 404\); pass locateFile/);
  assert.match(html, /^true loadEplb: the file at .*missing.html is not WebAssembly \(\d+ bytes starting 3c 21 64 6f/);
  assert.match(garbage, /^true loadEplb: wasmBinary is not WebAssembly/);
  assert.equal(ok, 2);
});
