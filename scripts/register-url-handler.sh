#!/usr/bin/env bash
# Registers proctor-client as this user's handler of proctor:// links (the course page's "Start
# proctor-client" button): writes $XDG_DATA_HOME/applications/proctor-client.desktop (default
# ~/.local/share/applications) from client/linux/proctor-client.desktop.in and makes it the
# default for x-scheme-handler/proctor with xdg-mime when it is installed (xdg-utils). The link
# opens a terminal running `proctor-client open LINK`, which asks for consent as `run` does.
#
#   scripts/register-url-handler.sh [PATH-TO-proctor-client]   (default: build/release's)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
client="${1:-$root/build/release/client/cli/proctor-client}"
if [[ ! -x $client ]]; then
  echo "register-url-handler: no proctor-client at $client (build it, or give its path)" >&2
  exit 2
fi
client="$(cd "$(dirname "$client")" && pwd)/$(basename "$client")"
case $client in
  *[[:space:]\"\'\\\$\`%]*)
    echo "register-url-handler: the path $client holds characters a .desktop Exec line cannot" \
      "carry safely; install proctor-client under a plain path" >&2
    exit 2 ;;
esac
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
mkdir -p "$apps"
sed "s|@PROCTOR_CLIENT@|$client|" "$root/client/linux/proctor-client.desktop.in" \
  > "$apps/proctor-client.desktop.tmp"
mv "$apps/proctor-client.desktop.tmp" "$apps/proctor-client.desktop"
echo "register-url-handler: wrote $apps/proctor-client.desktop"
if command -v update-desktop-database >/dev/null; then update-desktop-database "$apps" || true; fi
if command -v xdg-mime >/dev/null; then
  xdg-mime default proctor-client.desktop x-scheme-handler/proctor
  echo "register-url-handler: proctor:// links now open proctor-client" \
    "($(xdg-mime query default x-scheme-handler/proctor))"
else
  echo "register-url-handler: xdg-mime not found (package xdg-utils): the desktop reads the" \
    "file's MimeType at its next start"
fi
