#!/usr/bin/env bash
# The figures in docs/ACCURACY.md, from `proctor-face eval` on the photos this project has: the
# labelled test photos (../shared/testdata/faces) and the face-api package's group photos.
#
#   scripts/accuracy.sh            rewrites the document's figures block and docs/accuracy/eval.*
#   scripts/accuracy.sh --check    fails, with a diff, when the document differs from the tool
#
# Options: --face PATH (default build/release/client/cli/proctor-face). The check is ctest's
# AccuracyDocument test. Numbers printed with three decimals may differ by 0.001 (BLAS kernels
# differ between CPUs); every count must be equal.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

check=0
face=build/release/client/cli/proctor-face
while [[ $# -gt 0 ]]; do
  case "$1" in
    --check) check=1; shift ;;
    --face) face=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "accuracy.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

doc=docs/ACCURACY.md
labelled=../shared/testdata/faces
demo=.cache/face-api-1.7.15/package/demo
if [[ ! -d $labelled ]]; then
  if [[ $check -eq 1 && -z ${CI:-} && -z ${PROCTOR_REQUIRE_TESTDATA:-} ]]; then
    echo "accuracy.sh: $labelled not found: the document is NOT checked" >&2
    exit 77
  fi
  echo "accuracy.sh: $labelled not found (the labelled test photos)" >&2
  exit 1
fi
[[ -f $demo/sample1.jpg ]] || { echo "accuracy.sh: $demo missing: run scripts/setup.sh" >&2; exit 1; }
[[ -x $face ]] || { echo "accuracy.sh: $face missing: run scripts/setup.sh" >&2; exit 1; }

# The command the document shows, word for word (paths relative to the repository).
args=(eval "$labelled" --ignore hard --ignore multi --groups "$labelled/multi"
      --groups "$demo"/sample{1,2,3,4,5,6}.jpg --pairs docs/accuracy/hard-pairs.csv --degrade)
shown="proctor-face ${args[*]}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "accuracy.sh: running $shown" >&2
plot=docs/accuracy/eval
[[ $check -eq 1 ]] && plot=$work/eval
"$face" "${args[@]}" --plot "$plot" >"$work/figures.txt" 2>"$work/progress.txt" || {
  cat "$work/progress.txt" >&2; exit 1; }
rm -f "$plot-worst.png"  # chips of the labelled photos, which may not be committed

{
  echo '```text'
  echo "\$ $shown"
  cat "$work/figures.txt"
  echo '```'
} >"$work/block.txt"

python3 - "$doc" "$work/block.txt" "$check" <<'PY'
import re, sys, difflib
doc_path, block_path, check = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
doc = open(doc_path, encoding="utf-8").read()
block = open(block_path, encoding="utf-8").read()
begin, end = "<!-- eval:begin -->\n", "<!-- eval:end -->"
i, j = doc.find(begin), doc.find(end)
if i < 0 or j < i:
    sys.exit(f"accuracy.sh: {doc_path} lacks the {begin.strip()} ... {end} markers")
current = doc[i + len(begin):j]
if not check:
    open(doc_path, "w", encoding="utf-8").write(doc[:i + len(begin)] + block + doc[j:])
    print(f"accuracy.sh: wrote the figures into {doc_path}")
    sys.exit(0)
number = re.compile(r"[-+]?\d+\.\d+|\d+")
def same(a, b):
    ta, tb = number.split(a), number.split(b)
    na, nb = number.findall(a), number.findall(b)
    if ta != tb or len(na) != len(nb):
        return False
    for x, y in zip(na, nb):
        if "." in x and "." in y and len(x.split(".")[1]) == 3:
            if abs(float(x) - float(y)) > 0.0011: return False   # a distance
        elif x != y:
            return False                                          # a count or a rate
    return True
la, lb = current.splitlines(), block.splitlines()
if len(la) == len(lb) and all(same(a, b) for a, b in zip(la, lb)):
    print(f"accuracy.sh: {doc_path} agrees with what proctor-face eval prints")
    sys.exit(0)
sys.stdout.writelines(difflib.unified_diff([l + "\n" for l in la], [l + "\n" for l in lb],
                                           doc_path, "proctor-face eval (now)"))
sys.exit(f"accuracy.sh: {doc_path} differs from what the tool prints: run scripts/accuracy.sh")
PY
