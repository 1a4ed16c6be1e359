#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan), replays the kept regression inputs, then
# fuzzes each target for SECONDS (default 60) from a seed corpus of the golden and real files.
#   bash scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
bash scripts/install-deps.sh --fuzz
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEPLB_FUZZ=ON \
  -DEPLB_BUILD_TESTS=OFF -DEPLB_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build-fuzz -j2 --target fuzz_loads fuzz_rebalance
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in fuzz_loads fuzz_rebalance; do
  bin=build-fuzz/tests/fuzz/$target
  regressions=(tests/fuzz/regressions/$target-*)
  if [ -e "${regressions[0]}" ]; then
    echo "== $target: replaying ${#regressions[@]} regression inputs"
    "$bin" "${regressions[@]}"
  fi
  mkdir -p "$work/$target"
  [ $target = fuzz_loads ] && cp tests/data/golden/*.json data/deepseek-v3-sglang/*.json "$work/$target/"
  echo "== $target: fuzzing for $seconds s"
  (cd "$work" && "$OLDPWD/$bin" -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=4096 -print_final_stats=1 \
      "$work/$target" 2>&1 | tail -n 3)
  if ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* >/dev/null 2>&1; then
    echo "$target found a failing input (kept in $work; add it to tests/fuzz/regressions/ as $target-NAME)" >&2
    trap - EXIT
    exit 1
  fi
done
