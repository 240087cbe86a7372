#!/usr/bin/env bash
# Runs a Windows program of the windows preset under Wine: the CMake emulator of its tests
# (CMAKE_CROSSCOMPILING_EMULATOR) and the launcher of the Windows client in the end-to-end tests.
#   scripts/windows/wine-run.sh PROGRAM.exe [ARGS...]
# Wine's prefix is build/windows/wine unless WINEPREFIX says otherwise; MinGW's DLLs (zlib1.dll)
# are found through WINEPATH. The Wine server is kept for 30 s after the last program ends: a
# test then starts in a fraction of a second instead of ~5 s, and no program starts while the
# server of the one before is shutting down.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export WINEPREFIX=${WINEPREFIX:-$repo/build/windows/wine}
export WINEDEBUG=${WINEDEBUG:--all}
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}  # no Mono or Gecko prompts
export WINEPATH=/usr/x86_64-w64-mingw32/lib${WINEPATH:+;$WINEPATH}
command -v wine > /dev/null || { echo "wine-run.sh: wine is not installed (scripts/windows/setup.sh)" >&2; exit 127; }
# Wine turns the arguments into UTF-16 by the character set the locale variables name (it reads
# their names, installed or not): UTF-8 for Cyrillic paths. LANG still gives the language.
ctype=${LC_ALL:-${LC_CTYPE:-${LANG:-}}}
if [[ ! ${ctype,,} =~ utf-?8 ]]; then
  if [[ -n ${LC_ALL:-} ]]; then export LC_ALL=C.UTF-8; else export LC_CTYPE=C.UTF-8; fi
fi
mkdir -p "$WINEPREFIX"
# Detached from this program's output (a caller reading it would wait for the server's exit).
wineserver -p30 < /dev/null > /dev/null 2>&1 || true  # already running: that one is used
exec wine "$@"
