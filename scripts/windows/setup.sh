#!/usr/bin/env bash
# The Debian 12 packages the Windows cross-build and its Wine tests need, and a deb-src entry for
# the mirror(s) the machine's apt sources already use (so `apt-get source` works). Idempotent; run
# as root or as a user who may sudo. Called by scripts/build-windows.sh.
set -euo pipefail

packages=(
  g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix mingw-w64-tools libz-mingw-w64-dev
  cmake ninja-build make perl nasm pkg-config dpkg-dev
  autoconf automake libtool autopoint gettext  # autoreconf (libsodium, libexif); msgfmt
  unicode-data python3 python3-six          # re2's generated tables
  bison                                     # b2's parser (Boost.Locale)
  protobuf-compiler protobuf-compiler-grpc  # protoc and grpc_cpp_plugin run on the build machine
  wine wine64 nsis zip unzip                # tests under Wine (wine: its commands); installer; zip
)

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup.sh: run as root or install sudo" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

# deb-src for every deb entry of the machine's own sources (deb822 .sources files and one-line
# .list files), written once to proctor-src.sources / proctor-src.list.
need_update=0
src_sources=/etc/apt/sources.list.d/proctor-src.sources
if [[ ! -f $src_sources ]] && ! grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list \
     /etc/apt/sources.list.d/; then
  tmp=$(mktemp)
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f && $f != "$src_sources" ]] || continue
    # Each stanza whose Types include deb, with Types set to deb-src.
    awk 'BEGIN{RS=""; ORS="\n\n"} /(^|\n)Types:[^\n]*deb([ \n]|$)/ {
           sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" >> "$tmp"
  done
  list_tmp=$(mktemp)
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    grep -E '^deb ' "$f" | sed 's/^deb /deb-src /' >> "$list_tmp" || true
  done
  if [[ ! -s $tmp && ! -s $list_tmp ]]; then
    echo "setup.sh: found no Debian apt source to add a deb-src entry for" >&2
    exit 1
  fi
  [[ -s $tmp ]] && "${sudo_cmd[@]}" install -m 0644 "$tmp" "$src_sources"
  [[ -s $list_tmp ]] && "${sudo_cmd[@]}" install -m 0644 "$list_tmp" /etc/apt/sources.list.d/proctor-src.list
  rm -f "$tmp" "$list_tmp"
  echo "    added deb-src entries for the machine's Debian mirror"
  need_update=1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
export DEBIAN_FRONTEND=noninteractive
if [[ ${#missing[@]} -gt 0 || $need_update -eq 1 ]]; then
  "${sudo_cmd[@]}" apt-get update -q
fi
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "    all ${#packages[@]} packages present"
else
  echo "    installing ${#missing[@]} missing: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
