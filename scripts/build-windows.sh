#!/usr/bin/env bash
# Builds the learner client for Windows 10/11 x64 on Debian 12: scripts/build-windows.sh
#   [--deps-only]   stop after the libraries
#   [--jobs N]      parallel compile jobs (default: the number of cores)
#
# 1. Set-up (root or sudo, for apt only): MinGW-w64, Wine, NSIS and the build tools from Debian's
#    packages, and a deb-src entry for the mirror the machine's apt sources already use.
# 2. The libraries (scripts/windows/recipes.sh): each from Debian's own source package at a pinned
#    version (`apt-get source`), cross-built static into a cache outside the checkout,
#    ${PROCTOR_WINDOWS_CACHE:-${XDG_CACHE_HOME:-~/.cache}/proctor-windows}/KEY (KEY: the toolchain
#    file and the compiler), each library keyed by its recipe chained with those before it. A
#    library already built there is kept: a second run only builds proctor. Progress and time per library; each library's log is in
#    KEY/logs/NAME.log, and its last lines are shown when it fails.
# 3. proctor itself: `cmake --preset windows` and `cmake --build --preset windows`
#    (build/windows; the ctest preset `windows` runs its tests under Wine).
# 4. build/windows/dist: proctor-client-setup-VERSION.exe (NSIS, packaging/windows) and the
#    portable proctor-client-VERSION-windows-x64.zip: the client, the face models, the Russian
#    catalog and a short README. The models come as on Linux (scripts/setup.sh when missing).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

deps_only=0
jobs=$(nproc)
while [[ $# -gt 0 ]]; do
  case "$1" in
    --deps-only) deps_only=1 ;;
    --jobs) [[ $# -ge 2 ]] || { echo "build-windows.sh: --jobs needs a number" >&2; exit 2; }
            jobs=$2; shift ;;
    --jobs=*) jobs=${1#--jobs=} ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-windows.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

step() { printf '\n==> [%s] %s\n' "$1" "$2"; }
started=$(date +%s)

step 1/4 "Set-up: cross compiler, Wine, NSIS, Debian source packages"
scripts/windows/setup.sh

# shellcheck source=windows/recipes.sh
source scripts/windows/recipes.sh
toolchain="$repo/cmake/toolchains/mingw-w64-x86_64.cmake"
host=x86_64-w64-mingw32
# cmake_install SRC [ARGS...]: configure SRC for Windows into the current directory, build and
# install into the prefix (used by the recipes).
cmake_install() {
  local source=$1
  shift
  cmake -S "$source" -B . -G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF \
    -DPROCTOR_WINDOWS_PREFIX="$prefix" "$@"
  cmake --build . -j "$jobs"
  cmake --install .
}

# download PACKAGE VERSION: Debian's source package into the cache's downloads. apt checks the
# files already there against the .dsc and fetches only what is missing or damaged (a download
# cut short).
download() {
  local package=$1 version=$2
  if ! (cd "$cache/downloads" && apt-get source --download-only -q "$package=$version"); then
    echo "build-windows.sh: Debian's source package $package $version is not on the mirror." >&2
    echo "  What it has: apt-cache showsrc $package | grep ^Version" >&2
    echo "  Pin that version in scripts/windows/recipes.sh (see its header)." >&2
    return 1
  fi
}

# fetch PACKAGE VERSION DIR: Debian's source package, unpacked with its patches into DIR. (Its
# text is part of the cache key, below: left as it was when download() was added beside it.)
fetch() {
  local package=$1 version=$2 dir=$3
  local upstream=${version#*:}
  local dsc="$cache/downloads/${package}_${upstream}.dsc"
  if [[ ! -f $dsc ]]; then
    if ! (cd "$cache/downloads" && apt-get source --download-only -q "$package=$version"); then
      echo "build-windows.sh: Debian's source package $package $version is not on the mirror." >&2
      echo "  What it has: apt-cache showsrc $package | grep ^Version" >&2
      echo "  Pin that version in scripts/windows/recipes.sh (see its header)." >&2
      return 1
    fi
  fi
  rm -rf "$dir"
  dpkg-source --no-check -x "$dsc" "$dir" > /dev/null
}

# The cache folder: the toolchain file, the compiler and this script's helpers. Within it each
# library's build is keyed by its recipe and version chained with those of every library built
# before it: change one recipe and that library and the ones after it are rebuilt, no other.
key=$( { cat "$toolchain"; "$host-g++-posix" --version; declare -f cmake_install fetch; } |
       sha256sum | cut -c1-16)
cache_root=${PROCTOR_WINDOWS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/proctor-windows}
cache="$cache_root/$key"
prefix="$cache/prefix"
mkdir -p "$cache/downloads" "$cache/src" "$cache/build" "$cache/logs" "$prefix"
export PROCTOR_WINDOWS_PREFIX="$prefix"
# pkg-config sees the Windows libraries only (never the build machine's).
export PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig:$prefix/share/pkgconfig:/usr/$host/lib/pkgconfig"
export PKG_CONFIG_PATH=""

# cpu_now: sets $cpu to the CPU seconds (user + system) this script's finished children used
# (`times` must run in this shell, not in a $(...) subshell).
cpu_now() {
  LC_ALL=C times > "$cache/.times"  # the second line: the children's user and system time, "XmY.YYYs"
  cpu=$(awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); s += p[1] * 60 + p[2] }
                       printf "%d", s }' "$cache/.times")
}

step 2/4 "Libraries from Debian's source packages (cache: $cache)"
count=${#PROCTOR_WINDOWS_LIBS[@]}
# Each library's key, and the sources of those not built yet downloaded first: the network is
# used at the start only, then everything compiles offline.
chains=()
chain=$key
for entry in "${PROCTOR_WINDOWS_LIBS[@]}"; do
  IFS='|' read -r name package version <<< "$entry"
  chain=$( { echo "$chain $entry"; declare -f "recipe_$name"; } | sha256sum | cut -c1-16)
  chains+=("$chain")
  if [[ ! -f "$cache/logs/$name.done" || $(cat "$cache/logs/$name.done") != "$chain" ]]; then
    printf '    downloading the source of %s %s\n' "$package" "$version"
    download "$package" "$version" > "$cache/logs/$name.download.log" 2>&1 ||
      { cat "$cache/logs/$name.download.log" >&2; exit 1; }
  fi
done
index=0
for entry in "${PROCTOR_WINDOWS_LIBS[@]}"; do
  index=$((index + 1))
  IFS='|' read -r name package version <<< "$entry"
  label="[$index/$count] $name $version"
  chain=${chains[$((index - 1))]}
  if [[ -f "$cache/logs/$name.done" && $(cat "$cache/logs/$name.done") == "$chain" ]]; then
    printf '    %-48s cached\n' "$label"
    continue
  fi
  printf '    %-48s building ...' "$label"
  t0=$(date +%s)
  src="$cache/src/$name"
  build="$cache/build/$name"
  log="$cache/logs/$name.log"
  rm -rf "$build"
  mkdir -p "$build"
  rm -f "$cache/logs/$name.done"  # a build cut short must not count as cached later
  cpu_now
  cpu0=$cpu
  # Not in an `if`: bash ignores set -e inside a tested command, and a failed step must stop.
  set +e
  ( set -euo pipefail
    fetch "$package" "$version" "$src"
    cd "$build"
    "recipe_$name" ) > "$log" 2>&1
  status=$?
  set -e
  if [[ $status -ne 0 ]]; then
    printf ' FAILED after %d s\n' $(( $(date +%s) - t0 ))
    echo "---- last lines of $log ----" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  rm -rf "$build" "$src"  # the prefix keeps what proctor needs
  echo "$chain" > "$cache/logs/$name.done"
  # CPU time too: on a busy machine the wall time says little about a cold build elsewhere.
  cpu_now
  printf ' %d s (CPU %d s)\n' $(( $(date +%s) - t0 )) $(( cpu - cpu0 ))
done
echo "    libraries ready in $prefix"
# The toolchain file's default prefix (`cmake --preset windows` without build-windows.sh).
ln -sfn "$key" "$cache_root/current"

if [[ $deps_only -eq 1 ]]; then
  echo "build-windows.sh: libraries done in $(( $(date +%s) - started )) s (--deps-only)"
  exit 0
fi

step 3/4 "proctor for Windows (cmake --preset windows)"
cmake --preset windows -DPROCTOR_WINDOWS_PREFIX="$prefix"
cmake --build --preset windows -j "$jobs"

step 4/4 "The installer and the portable zip (build/windows/dist)"
# The face models exactly as the Linux build has them: fetched from the npm registry, verified
# against models/manifest.tsv and converted by scripts/setup.sh (the README's set-up), never at
# run time. The landmark model is Debian's (libdlib-data).
recognition=models/dlib_face_recognition_resnet_model_v1.dat
landmarks=/usr/share/dlib/shape_predictor_68_face_landmarks.dat
if [[ ! -f $recognition || ! -f $landmarks ]]; then
  echo "    face models missing: running scripts/setup.sh (fetches, verifies and converts them)"
  scripts/setup.sh
fi
version=$(sed -n 's/^project(proctor VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
dist=build/windows/dist
stage="$dist/proctor-client-$version"
rm -rf "$dist"
mkdir -p "$stage/models" "$stage/locale"
"$host-strip" -o "$stage/proctor-client.exe" build/windows/client/cli/proctor-client.exe
cp "/usr/$host/lib/zlib1.dll" "$stage/"  # the one runtime DLL (Debian's libz-mingw-w64)
cp models/manifest.tsv "$recognition" "$landmarks" "$stage/models/"
cp -r build/windows/locale/. "$stage/locale/"
# Windows' Notepad reads UTF-8 with a BOM and CRLF line ends.
for text in packaging/windows/README-windows.txt LICENSE; do
  [[ -f $text ]] || continue
  name=$(basename "$text" .txt).txt
  { printf '\xef\xbb\xbf'; sed 's/$/\r/' "$text"; } > "$stage/$name"
done
(cd "$dist" && zip -qr9 "proctor-client-$version-windows-x64.zip" "proctor-client-$version")
makensis -V2 -DVERSION="$version" -DSTAGE="$repo/$stage" \
  -DOUTFILE="$repo/$dist/proctor-client-setup-$version.exe" packaging/windows/proctor-client.nsi
for f in "$dist"/*.zip "$dist"/*.exe; do
  awk -v name="$(basename "$f")" -v size="$(stat -c %s "$f")" \
    'BEGIN { printf "    %-48s %6.1f MB\n", name, size / 1048576 }'
done
echo "build-windows.sh: done in $(( $(date +%s) - started )) s"
