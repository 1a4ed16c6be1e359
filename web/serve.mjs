// `npm run demo`: builds the dashboard and serves web/build/ on localhost until stopped.
// Port: $PORT, else 5173 if free, else any free port. Prints the address to open.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { build, outdir } from './build.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.map': 'application/json',
  '.png': 'image/png', '.svg': 'image/svg+xml',
};

function handler(req, res) {
  const url = new URL(req.url, 'http://localhost');
  let rel = decodeURIComponent(url.pathname);
  if (rel.endsWith('/')) rel += 'index.html';
  const file = path.join(outdir, path.normalize(rel).replace(/^([/\\])+/, ''));
  if (!file.startsWith(outdir + path.sep)) { res.writeHead(403).end('forbidden'); return; }
  if (rel === '/favicon.ico') { res.writeHead(204).end(); return; }
  fs.stat(file, (err, st) => {
    if (err || !st.isFile()) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'content-length': st.size, 'cache-control': 'no-cache' });
    if (req.method === 'HEAD') res.end();
    else fs.createReadStream(file).pipe(res);
  });
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(server.address().port); });
  });
}

export async function serve({ port = process.env.PORT ? Number(process.env.PORT) : undefined, quiet = false } = {}) {
  await build({ quiet });
  const v4 = http.createServer(handler);
  let p;
  if (port !== undefined) p = await listen(v4, port, '127.0.0.1');
  else {
    try { p = await listen(v4, 5173, '127.0.0.1'); } catch { p = await listen(v4, 0, '127.0.0.1'); }
  }
  // Also answer on ::1, since browsers may resolve localhost to it first.
  const v6 = http.createServer(handler);
  await listen(v6, p, '::1').catch(() => {});
  return { port: p, url: `http://localhost:${p}/`, close: () => { v4.close(); v6.close(); } };
}

if (import.meta.url === new URL(`file://${path.resolve(process.argv[1] || '')}`).href) {
  serve().then(({ url }) => {
    console.log(`eplb-wasm dashboard: ${url}`);
    console.log('(Ctrl+C to stop)');
  }).catch((err) => {
    console.error(`demo failed: ${err.message}`);
    process.exit(1);
  });
}
