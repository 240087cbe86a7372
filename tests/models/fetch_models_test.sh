#!/usr/bin/env bash
# models/fetch-models.sh catches a corrupted download and a corrupted converted model, with a
# clear error, and never installs a file whose checksum is wrong. Runs offline: the "npm" it
# sees is a stub that serves a tarball.
#   fetch_models_test.sh REPO CONVERTER
set -uo pipefail
repo=$1
converter=$2
real_tarball="$repo/.cache/vladmandic-face-api-1.7.15.tgz"
[[ -f "$real_tarball" ]] || { echo "FAIL: $real_tarball missing (run scripts/setup.sh)"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}

# A stub npm whose `pack` writes $STUB_TARBALL into the current directory.
mkdir -p "$work/bin"
cat > "$work/bin/npm" <<'STUB'
#!/usr/bin/env bash
[[ "$1" == pack ]] || exit 1
cp "$STUB_TARBALL" ./vladmandic-face-api-1.7.15.tgz
STUB
chmod +x "$work/bin/npm"

# 1. A corrupted download is refused and not cached.
head -c 100000 "$real_tarball" > "$work/corrupt.tgz"
out=$(STUB_TARBALL="$work/corrupt.tgz" PATH="$work/bin:$PATH" \
  "$repo/models/fetch-models.sh" --converter "$converter" --cache "$work/c1" --models "$work/m1" 2>&1)
rc=$?
check "corrupt download exits non-zero" test $rc -ne 0
check "corrupt download says checksum mismatch" grep -q "checksum mismatch" <<<"$out"
check "corrupt download is not cached" test ! -f "$work/c1/vladmandic-face-api-1.7.15.tgz"
check "no model written after corrupt download" test ! -e "$work/m1/dlib_face_recognition_resnet_model_v1.dat"

# 2. A good download converts to the pinned checksum.
out=$(STUB_TARBALL="$real_tarball" PATH="$work/bin:$PATH" \
  "$repo/models/fetch-models.sh" --converter "$converter" --cache "$work/c2" --models "$work/m2" 2>&1)
check "good download succeeds" test $? -eq 0
check "converted model installed" test -s "$work/m2/dlib_face_recognition_resnet_model_v1.dat"

# 3. A damaged converted model is rebuilt.
printf 'garbage' | dd of="$work/m2/dlib_face_recognition_resnet_model_v1.dat" bs=1 seek=1000 conv=notrunc status=none
out=$("$repo/models/fetch-models.sh" --converter "$converter" --cache "$work/c2" --models "$work/m2" 2>&1)
check "damaged model is rebuilt" test $? -eq 0
check "rebuild is announced" grep -q "converting" <<<"$out"

# 4. A converter that produces the wrong bytes never replaces the model.
cat > "$work/bad-converter" <<'BAD'
#!/usr/bin/env bash
while [[ $# -gt 0 ]]; do [[ "$1" == --output ]] && echo wrong > "$2"; shift; done
BAD
chmod +x "$work/bad-converter"
rm "$work/m2/dlib_face_recognition_resnet_model_v1.dat"
out=$("$repo/models/fetch-models.sh" --converter "$work/bad-converter" --cache "$work/c2" --models "$work/m2" 2>&1)
check "wrong conversion exits non-zero" test $? -ne 0
check "wrong conversion says checksum mismatch" grep -q "checksum mismatch" <<<"$out"
check "wrong conversion is not installed" test ! -e "$work/m2/dlib_face_recognition_resnet_model_v1.dat"

# 5. Unknown arguments are refused.
"$repo/models/fetch-models.sh" --bogus >/dev/null 2>&1
check "unknown argument exits 2" test $? -eq 2

[[ $failures -eq 0 ]] || { echo "$failures check(s) failed"; exit 1; }
echo "all fetch-models checks passed"
