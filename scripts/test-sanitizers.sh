#!/usr/bin/env bash
# The native GoogleTest suite built with AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEPLB_SANITIZE=ON -DEPLB_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-asan -j2 --target eplb_tests
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j2
