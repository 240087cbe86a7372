#!/usr/bin/env bash
# Quick start, command 2: set everything up, then run the whole test suite (ctest).
# Extra arguments go to ctest, e.g. scripts/test.sh -R Biometrics.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"

printf '\n==> Tests (ctest --preset release)\n'
cd "$repo"
ctest --preset release -j "$(nproc)" "$@"
