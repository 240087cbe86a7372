#!/usr/bin/env bash
# Ingest benchmark (a measurement, not a test): proctor-loadgen against a fresh proctor-server
# on SQLite, then, in the same run, the raw SQLite insert rate of the same rows
# (storage_append_bench) as the ceiling; prints both and their ratio.
#   scripts/bench-ingest.sh [SESSIONS=1000] [EVENTS_PER_SESSION=300] [BATCH=5] [RATE=30]
# RATE is events per second per session, sent as they fall due (0: as fast as acks return).
# EVIDENCE_EVERY=K in the environment attaches a small JPEG to every K-th event (default 0).
# Needs a release build (scripts/setup.sh).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$repo/build/release"
sessions=${1:-1000}
events=${2:-300}
batch=${3:-5}
rate=${4:-30}
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
cleanup() { [[ -n "${server_pid:-}" ]] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

ulimit -n 65536 2>/dev/null || true
"$bin/server/service/proctor-server" --listen "127.0.0.1:$port" --http '' --data-dir "$work" \
  --models "${PROCTOR_MODELS:-$repo/models}" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [[ -s "$work/admin.token" ]] && break; sleep 0.1; done
[[ -s "$work/admin.token" ]] || { cat "$work/server.log" >&2; exit 1; }
sleep 0.5

echo "==> proctor-loadgen: $sessions sessions x $events events, batches of $batch, $rate events/s each" >&2
cpu_before=$(awk '{print $14 + $15}' "/proc/$server_pid/stat")
load=$("$bin/server/loadgen/proctor-loadgen" --server "127.0.0.1:$port" \
  --token "$(cat "$work/admin.token")" --sessions "$sessions" --events "$events" \
  --batch "$batch" --rate "$rate" --evidence-every "${EVIDENCE_EVERY:-0}" --json)
cpu_after=$(awk '{print $14 + $15}' "/proc/$server_pid/stat")
echo "$load"
echo "server CPU during the run: $(( (cpu_after - cpu_before) / $(getconf CLK_TCK) )) s" >&2

echo "==> raw SQLite ceiling (storage_append_bench, 1000 sessions x 10 events per commit)" >&2
ceiling=$("$bin/tests/storage_append_bench" --benchmark_filter='BM_SqliteAppendBatches/1000/10/' \
  --benchmark_format=json 2>/dev/null | grep -o '"items_per_second": [0-9.e+]*' | head -1 |
  awk '{print $2}')
rate=$(echo "$load" | grep -o '"events_per_s": *[0-9.e+]*' | awk -F: '{print $2}')
awk -v r="$rate" -v c="$ceiling" 'BEGIN {
  printf "ingest %.0f events/s acknowledged; SQLite ceiling %.0f rows/s; ratio %.2f\n", r, c, r / c }'
