#!/usr/bin/env bash
# Fetches, verifies and converts the face models listed in models/manifest.tsv.
#
#   models/fetch-models.sh --converter PATH [--models DIR] [--cache DIR]
#
# - the npm tarball of @vladmandic/face-api is fetched with `npm pack` (the npm registry is the
#   only place the recognition weights are published) and checked against its sha256;
# - its TensorFlow.js weights are converted into dlib's network by proctor-model-convert, and
#   the converted file is checked against its sha256 before it replaces anything;
# - dlib's 68-point landmark model comes from Debian's libdlib-data and is checked in place.
# Idempotent: a model whose checksum already matches is left alone. Exit 0 only when every
# model is present and verified.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
manifest="$repo/models/manifest.tsv"
models_dir="$repo/models"
cache_dir="${PROCTOR_CACHE:-$repo/.cache}"
converter=""

while [[ $# -gt 0 ]]; do
  case "$1" in
    --converter) converter=$2; shift 2 ;;
    --models) models_dir=$2; shift 2 ;;
    --cache) cache_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "fetch-models.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

say() { echo "    $*"; }
die() { echo "fetch-models.sh: error: $*" >&2; exit 1; }
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
# field NAME COLUMN: a column of the manifest row NAME (1 name, 2 kind, 3 source, 4 version,
# 5 sha256, 6 file)
field() { awk -F'\t' -v n="$1" -v c="$2" '!/^#/ && $1 == n { print $c; exit }' "$manifest"; }

verify() {  # verify FILE EXPECTED_SHA WHAT [remove]: with "remove", a bad file is deleted
  local actual
  actual=$(sha256_of "$1")
  if [[ "$actual" != "$2" ]]; then
    [[ "${4:-}" == remove ]] && rm -f "$1"
    die "$3: checksum mismatch for $1
      expected sha256 $2
      got      sha256 $actual
    The file is corrupt or not the pinned version. Delete it and run this script again."
  fi
}

mkdir -p "$models_dir" "$cache_dir"

# --- landmark model (Debian) ---
sp_file=$(field shape-predictor-68 6)
[[ -f "$sp_file" ]] || die "$sp_file is missing: install it with 'sudo apt-get install libdlib-data'"
say "landmarks: checking $sp_file"
verify "$sp_file" "$(field shape-predictor-68 5)" "68-point landmark model"
say "landmarks: ok (libdlib-data $(field shape-predictor-68 4))"

# --- recognition network (npm tarball, converted) ---
fr_file="$models_dir/$(field face-recognition 6)"
fr_sha=$(field face-recognition 5)
pkg_name=$(field face-api-package 3)
pkg_version=$(field face-api-package 4)
pkg_sha=$(field face-api-package 5)
tarball="$cache_dir/$(field face-api-package 6)"
unpacked="$cache_dir/face-api-$pkg_version"

if [[ -f "$tarball" ]] && [[ "$(sha256_of "$tarball")" != "$pkg_sha" ]]; then
  say "npm: cached tarball has the wrong checksum; fetching it again"
  rm -f "$tarball"
fi
if [[ ! -f "$tarball" ]]; then
  command -v npm >/dev/null || die "npm is not installed: sudo apt-get install npm"
  say "npm: fetching $pkg_name@$pkg_version (about 12 MB) from the npm registry"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$pkg_name@$pkg_version" >/dev/null) ||
    die "npm pack $pkg_name@$pkg_version failed (is the npm registry reachable?)"
  downloaded=$(ls "$tmp"/*.tgz 2>/dev/null | head -n1)
  [[ -n "$downloaded" ]] || die "npm pack produced no tarball"
  verify "$downloaded" "$pkg_sha" "$pkg_name@$pkg_version" remove
  mv "$downloaded" "$tarball"
fi
verify "$tarball" "$pkg_sha" "$pkg_name@$pkg_version"
say "npm: $pkg_name@$pkg_version ok (sha256 ${pkg_sha:0:12}...)"

if [[ ! -f "$unpacked/.complete" ]]; then
  rm -rf "$unpacked"
  mkdir -p "$unpacked"
  tar -xzf "$tarball" -C "$unpacked" package/LICENSE package/model/face_recognition_model.bin \
    package/model/face_recognition_model-weights_manifest.json package/demo/ ||
    die "could not unpack $tarball"
  touch "$unpacked/.complete"
fi
say "npm: unpacked weights and demo photos into $unpacked/package"

if [[ -f "$fr_file" ]] && [[ "$(sha256_of "$fr_file")" == "$fr_sha" ]]; then
  say "recognition: $fr_file is up to date"
else
  [[ -n "$converter" ]] || die "the recognition model needs converting: pass --converter PATH"
  [[ -x "$converter" ]] || die "converter $converter is not built (run scripts/setup.sh)"
  say "recognition: converting TensorFlow.js weights into dlib's network"
  candidate="$fr_file.candidate"
  "$converter" --manifest "$unpacked/package/model/face_recognition_model-weights_manifest.json" \
    --output "$candidate"
  verify "$candidate" "$fr_sha" "converted recognition model" remove
  mv "$candidate" "$fr_file"
  say "recognition: wrote $fr_file (sha256 ${fr_sha:0:12}...)"
fi
