#!/usr/bin/env bash
# The face pipeline benchmark (tests/bench/face_pipeline_bench.cc), the Linux build and the
# Windows build under Wine back to back in one run on this machine:
#   scripts/bench-windows.sh [REPETITIONS]   (default 5)
# Prints the median milliseconds per stage of each and the ratio Windows/Linux, also against each
# build's own in-run baseline (decoding the same frame from JPEG), which takes out what Wine and
# the machine's load add to every stage alike. Needs build/release (scripts/setup.sh) and
# build/windows (scripts/build-windows.sh). The raw Google Benchmark JSON is kept in
# build/bench-windows/.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

reps=${1:-5}
[[ $reps =~ ^[0-9]+$ && $reps -ge 2 ]] ||
  { echo "bench-windows.sh: REPETITIONS must be a number >= 2 (medians need two)" >&2; exit 2; }
native=build/release/tests/face_pipeline_bench
windows=build/windows/tests/face_pipeline_bench.exe
[[ -x $native ]] || { echo "bench-windows.sh: $native missing: run scripts/setup.sh" >&2; exit 1; }
[[ -f $windows ]] || { echo "bench-windows.sh: $windows missing: run scripts/build-windows.sh" >&2; exit 1; }

out=build/bench-windows
mkdir -p "$out"
args=(--benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true
      --benchmark_format=json)
echo "==> Linux: $native"
"$native" "${args[@]}" > "$out/linux.json"
echo "==> Windows under Wine: $windows"
WINEDEBUG=-all WINEPATH=/usr/x86_64-w64-mingw32/lib WINEPREFIX="$repo/build/windows/wine" \
  WINEDLLOVERRIDES="mscoree,mshtml=" wine "$windows" "${args[@]}" | tr -d '\r' > "$out/windows.json"

python3 - "$out/linux.json" "$out/windows.json" <<'EOF'
import json, sys

def medians(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    result, order = {}, []
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        name = b["run_name"]
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b["time_unit"]]
        result[name] = b["real_time"] * scale
        order.append(name)
    return data["context"], result, order

linux_ctx, linux, order = medians(sys.argv[1])
_, windows, _ = medians(sys.argv[2])
base = order[0]
print(f"\nmedians, one thread, {linux_ctx.get('num_cpus', '?')} CPUs at {linux_ctx.get('mhz_per_cpu', '?')} MHz")
print(f"{'benchmark':<44} {'Linux ms':>9} {'Wine ms':>9} {'Wine/Linux':>11} {'vs baseline':>12}")
for name in order:
    if name not in windows:
        print(f"{name:<44} {linux[name]:9.2f} {'-':>9}")
        continue
    ratio = windows[name] / linux[name]
    relative = ratio / (windows[base] / linux[base])
    print(f"{name:<44} {linux[name]:9.2f} {windows[name]:9.2f} {ratio:10.2f}x {relative:11.2f}x")
print(f"\nbaseline: {base} (each build's ratio divided by the baseline's ratio in the last column)")
EOF
