#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (tests/fuzz, a small project of its own) and runs each
# for a bounded time: scripts/fuzz.sh [SECONDS=60]. Installs clang and its fuzzer runtime when
# missing (root or sudo; --install-only: that and nothing else). A crash fails the script and
# leaves the crashing input in build/fuzz.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
seconds=${1:-60}
install_only=0
if [[ $seconds == --install-only ]]; then  # clang and its fuzzer runtime only (.ci/run)
  install_only=1
elif ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then  # 0 would be libFuzzer's "no time limit"
  echo "fuzz.sh: usage: scripts/fuzz.sh [SECONDS=60] | --install-only" >&2
  exit 2
fi

# libclang-rt-14-dev holds the fuzzer runtime; it is only a Recommends of clang.
missing=()
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  sudo_cmd=()
  [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

[[ $install_only -eq 1 ]] && exit 0

cmake -S tests/fuzz -B build/fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
cmake --build build/fuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Each target starts from the corpus kept in the repo (seeds and regression inputs) and writes
# what it discovers to a scratch directory, so the repository stays clean.
for target in event_validation journal_reader evidence_decode; do
  mkdir -p "$work/$target"
  printf '==> %s_fuzz for %s s\n' "$target" "$seconds"
  (cd build/fuzz && ./"${target}_fuzz" -max_total_time="$seconds" -print_final_stats=1 \
    "$work/$target" "$repo/tests/fuzz/corpus/$target" 2>&1 | tail -15)
done
