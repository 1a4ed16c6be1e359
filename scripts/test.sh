#!/usr/bin/env bash
# Every test of the project (npm test): the native GoogleTest suite, the same suite compiled to
# WebAssembly and run under Node, the JS API / CLI / type tests, and the dashboard in headless
# Chromium. The Debian packages come from `npm run setup` (scripts/install-deps.sh), which the
# README's first command and .ci/run run; this script only says which are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}

bash scripts/install-deps.sh --browser --check
[ -d node_modules/playwright-core ] || npm install --no-audit --no-fund

echo "== native GoogleTest (ctest)"
npm run --silent test:native

echo "== the same suite in WebAssembly (Node)"
npm run --silent test:wasm

echo "== JS API, CLI and TypeScript types"
npm run --silent build
npm run --silent test:js

echo "== dashboard in headless Chromium"
npm run --silent test:browser
