#!/usr/bin/env bash
# Every test of the project (npm test): the native GoogleTest suite, the same suite compiled to
# WebAssembly and run under Node, the JS API / CLI / type tests, and the dashboard in headless
# Chromium. On a fresh Debian machine as root it installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}

bash scripts/install-deps.sh --browser
[ -d node_modules/playwright-core ] || npm install --no-audit --no-fund

echo "== native GoogleTest (ctest)"
cmake -S . -B build-native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build-native -j2
ctest --test-dir build-native --output-on-failure -j2

echo "== the same suite in WebAssembly (Node)"
node scripts/build.mjs --tests
node build-wasm/tests/cpp/eplb_tests.js

echo "== JS API, CLI and TypeScript types"
npm run --silent build
npm run --silent test:js

echo "== dashboard in headless Chromium"
npm run --silent test:browser
