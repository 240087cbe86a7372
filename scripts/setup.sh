#!/usr/bin/env bash
# Sets proctor up on a Debian 12 machine: installs the missing Debian packages, builds the
# release preset, and fetches, verifies and converts the face models. Idempotent: a second run
# only rebuilds what changed. Run as root, or as a user who may sudo (used for apt only).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

step() { printf '\n==> [%s] %s\n' "$1" "$2"; }

# Debian 12 packages the build, the tests and the models need.
packages=(
  ca-certificates cmake ninja-build g++ pkg-config
  libdlib-dev libdlib-data libblas-dev liblapack-dev libopenblas0-pthread
  libopencv-dev libabsl-dev libjpeg-dev libpng-dev zlib1g-dev
  libwebp-dev libtiff-dev libexif-dev  # enrollment photos: WebP, TIFF, EXIF orientation
  nlohmann-json3-dev libcli11-dev libspdlog-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  libsqlite3-dev libsodium-dev sqlite3
  libpqxx-dev postgresql  # PostgreSQL storage; the tests start a throwaway server of their own
  patroni etcd-server python3-etcd  # the HA cluster (scripts/ha-cluster.sh) and its fault tests
  libgtest-dev libgmock-dev libbenchmark-dev
  libcpp-httplib-dev
  librhonabwy-dev  # LTI 1.3: JWKs and JWTs (JOSE)
  libboost-locale-dev gettext fonts-dejavu-core  # translations (po/), Cyrillic in the preview
  # Review console tests: headless browser, and the Prometheus text parser for /metrics.
  chromium chromium-driver python3-prometheus-client
  # The LTI tests: their own platform (tests/lti/lti_platform.py).
  python3-jwt python3-cryptography
)
# npm fetches the face-api weights; a machine may already have Node.js from elsewhere.
command -v npm >/dev/null || packages+=(npm)

step 1/3 "Debian packages"
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "    all ${#packages[@]} packages present"
else
  echo "    installing ${#missing[@]} missing: ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup.sh: run as root or install sudo" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

step 2/3 "Build (cmake --preset release)"
if [[ ! -f build/release/CMakeCache.txt ]]; then
  cmake --preset release
fi
cmake --build --preset release -j "$(nproc)"

step 3/3 "Face models (models/manifest.tsv)"
models/fetch-models.sh --converter build/release/models/converter/proctor-model-convert

echo
echo "proctor is set up: binaries in build/release, models in models/"
