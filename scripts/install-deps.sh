#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, when missing (as root).
#   bash scripts/install-deps.sh [--browser] [--fuzz] [--check]   (--check: only name what is missing)
set -euo pipefail
check=0
want=(cmake make g++ libgtest-dev googletest libbenchmark-dev xtensor-dev nlohmann-json3-dev emscripten)
for a in "$@"; do
  case "$a" in
    --browser) want+=(chromium) ;;
    --fuzz) want+=(clang libclang-rt-14-dev) ;;
    --check) check=1 ;;
    *) echo "install-deps: unknown option $a" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$check" = 1 ]; then
  echo "missing Debian packages: ${missing[*]} (run: npm run setup)" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
