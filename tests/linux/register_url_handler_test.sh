#!/usr/bin/env bash
# scripts/register-url-handler.sh: writes a valid .desktop file that hands proctor:// links to
# `proctor-client open`, refuses a client path a desktop Exec line cannot carry, and a missing one.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/odd dir"
printf '#!/bin/sh\n' > "$work/bin/proctor-client"
cp "$work/bin/proctor-client" "$work/odd dir/proctor-client"
chmod +x "$work/bin/proctor-client" "$work/odd dir/proctor-client"
export XDG_DATA_HOME="$work/data" HOME="$work/home"
fail() { echo "FAIL: $*" >&2; exit 1; }

PATH=/usr/bin:/bin "$root/scripts/register-url-handler.sh" "$work/bin/proctor-client" > "$work/out"
desktop="$work/data/applications/proctor-client.desktop"
[[ -f $desktop ]] || fail "no $desktop"
grep -qx "Exec=$work/bin/proctor-client open %u" "$desktop" || fail "Exec line: $(grep Exec "$desktop")"
grep -qx 'MimeType=x-scheme-handler/proctor;' "$desktop" || fail "no proctor:// MimeType"
grep -qx 'Terminal=true' "$desktop" || fail "consent is asked in a terminal"
if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$desktop"; fi

if "$root/scripts/register-url-handler.sh" "$work/odd dir/proctor-client" 2> "$work/err"; then
  fail "a path with a space was accepted"
fi
grep -q "cannot carry safely" "$work/err" || fail "no reason given: $(cat "$work/err")"
if "$root/scripts/register-url-handler.sh" "$work/nowhere" 2> "$work/err"; then
  fail "a missing client was accepted"
fi
grep -q "no proctor-client at" "$work/err" || fail "no reason given: $(cat "$work/err")"
echo "register-url-handler: ok"
