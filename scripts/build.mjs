#!/usr/bin/env node
// Builds the WebAssembly module into js/generated/ (npm run build; npm test and npm run demo run it
// too). Installs Emscripten and the header-only libraries from Debian when
// they are missing and we run as root. Incremental: a second run only rebuilds what changed.
//   node scripts/build.mjs [--tests]   --tests also builds the GoogleTest suite as build-wasm/tests/cpp/eplb_tests.js
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const buildDir = path.join(root, 'build-wasm');
const withTests = process.argv.includes('--tests');
const env = { ...process.env, NODE_PATH: ['/usr/share/nodejs', process.env.NODE_PATH].filter(Boolean).join(path.delimiter) };

function run(cmd, args) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args[0]} failed with exit code ${r.status}`);
}

const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { env }).status === 0;

function ensureToolchain() {
  const missing = [];
  if (!onPath('emcmake') || !onPath('em++')) missing.push('emscripten');
  if (!existsSync('/usr/include/xtensor/xtensor.hpp')) missing.push('xtensor-dev');
  if (!existsSync('/usr/include/nlohmann/json.hpp')) missing.push('nlohmann-json3-dev');
  if (withTests && !existsSync('/usr/src/googletest/CMakeLists.txt')) missing.push('googletest');
  for (const tool of ['cmake', 'make']) if (!onPath(tool)) missing.push(tool);
  if (!missing.length) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !onPath('apt-get'))
    throw new Error(`missing ${missing.join(', ')}: install them (Debian: apt-get install -y ${missing.join(' ')}) and rerun`);
  run('apt-get', ['update']);
  run('apt-get', ['install', '-y', '--no-install-recommends', ...missing]);
}

// The JS glue must name exactly the imports of eplb.wasm (emcc minifies both). A link under
// heavy load has once produced unminified glue beside a minified .wasm; such a pair fails at
// instantiation, so it is caught here and relinked.
function glueMatchesWasm() {
  const out = path.join(root, 'js', 'generated');
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(path.join(out, 'eplb.wasm'))));
  const want = JSON.stringify(imports.map((i) => i.name).sort());
  return ['eplb-node.cjs', 'eplb-web.mjs'].every((f) => {
    const table = readFileSync(path.join(out, f), 'utf8').match(/var asmLibraryArg=\{([^}]*)\}/);
    return table && JSON.stringify([...table[1].matchAll(/"([^"]+)":/g)].map((m) => m[1]).sort()) === want;
  });
}

const build = () => run('cmake', ['--build', buildDir, '-j2', '--target', 'eplb_wasm', ...(withTests ? ['eplb_tests'] : [])]);

try {
  ensureToolchain();
  const cache = path.join(buildDir, 'CMakeCache.txt');
  if (!existsSync(cache) || withTests)
    run('emcmake', ['cmake', '-S', '.', '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release', `-DEPLB_BUILD_TESTS=${withTests ? 'ON' : 'OFF'}`]);
  build();
  for (const f of ['eplb-node.cjs', 'eplb-web.mjs', 'eplb.wasm'])
    if (!existsSync(path.join(root, 'js', 'generated', f))) throw new Error(`the build did not produce js/generated/${f}`);
  if (!glueMatchesWasm()) {
    console.warn('the JS glue does not match eplb.wasm; relinking');
    for (const flavour of ['node', 'web']) rmSync(path.join(buildDir, 'bindings', flavour, 'eplb.js'), { force: true });
    build();
    if (!glueMatchesWasm()) throw new Error('the JS glue still does not match eplb.wasm after a relink');
  }
  console.log('built js/generated/ (eplb-node.cjs, eplb-web.mjs, eplb.wasm)');
} catch (e) {
  console.error(`build failed: ${e.message}`);
  process.exit(1);
}
