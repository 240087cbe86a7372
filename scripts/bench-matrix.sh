#!/usr/bin/env bash
# Load matrix (a measurement, not a test): the same proctor-loadgen run against
#   1. one proctor-server on SQLite,
#   2. one proctor-server on PostgreSQL,
#   3. two proctor-server replicas on one PostgreSQL (loadgen's sessions alternate between them),
# and a Markdown table of events/s acknowledged, per-event ack latency p50/p99, and the CPU
# seconds the proctor-server processes and the PostgreSQL processes used during the run.
#   scripts/bench-matrix.sh [SESSIONS=1000] [EVENTS_PER_SESSION=200] [BATCH=5] [RATE=0]
# RATE is events per second per session (0: closed loop, as fast as acks return: throughput).
# Environment: EVIDENCE_EVERY=K attaches a small JPEG to every K-th event (default 0);
# OUT=FILE also writes the table there (default: stdout only).
# PostgreSQL runs durable (fsync, full_page_writes and synchronous_commit on), tuned for a write
# burst: larger shared_buffers and WAL, no checkpoint during the run. It is a throwaway server in
# a temporary directory on a free loopback port, run as the postgres user when this runs as
# root. Needs a release build and the Debian postgresql package (scripts/setup.sh).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$repo/build/release"
sessions=${1:-1000}
events=${2:-200}
batch=${3:-5}
rate=${4:-0}
models=${PROCTOR_MODELS:-$repo/models}

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x "$pgbin/postgres" ]] || {
  echo "bench-matrix: PostgreSQL not found; install the Debian package postgresql" >&2
  exit 1
}
as_pg=()
if [[ $(id -u) -eq 0 ]]; then as_pg=(runuser -u postgres --); fi  # postgres refuses root

work=$(mktemp -d)
chmod 755 "$work"
server_pids=()
pgdata="$work/pg/data"
free_port() { echo $((20000 + RANDOM % 30000)); }
stop_servers() {
  for pid in "${server_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  server_pids=()
}
cleanup() {
  stop_servers
  if [[ -f "$pgdata/postmaster.pid" ]]; then
    "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true

# CPU seconds (user + system) of the given processes so far.
cpu_ticks() {
  local total=0 pid
  for pid in "$@"; do
    [[ -r "/proc/$pid/stat" ]] || continue
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
postgres_pids() {
  local postmaster
  postmaster=$(head -1 "$pgdata/postmaster.pid")
  echo "$postmaster" $(ps --ppid "$postmaster" -o pid= 2>/dev/null)
}

# ---- PostgreSQL ----
pgport=$(free_port)
mkdir -p "$work/pg"
[[ ${#as_pg[@]} -eq 0 ]] || chown postgres "$work/pg"
echo "==> PostgreSQL ($pgbin) on 127.0.0.1:$pgport" >&2
"${as_pg[@]}" "$pgbin/initdb" -D "$pgdata" -A trust -U proctor -E UTF8 --locale=C \
  --no-instructions >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdata" -w -l "$work/pg/server.log" -o "-p $pgport \
  -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=100 \
  -c fsync=on -c full_page_writes=on -c synchronous_commit=on \
  -c shared_buffers=512MB -c wal_buffers=64MB -c max_wal_size=8GB -c checkpoint_timeout=30min \
  -c wal_writer_delay=10ms" start >/dev/null || { cat "$work/pg/server.log" >&2; exit 1; }
psql_admin() { "$pgbin/psql" -X -q -h 127.0.0.1 -p "$pgport" -U proctor -d postgres "$@"; }

# Starts a proctor-server on DB with DATA_DIR (replicas share one: the same storage.key), adds
# its pid to server_pids and sets started_addr to its address.
start_server() {
  local db=$1 data_dir=$2 port
  port=$(free_port)
  mkdir -p "$data_dir"
  "$bin/server/service/proctor-server" --listen "127.0.0.1:$port" --http '' \
    --data-dir "$data_dir" --db "$db" --models "$models" >>"$data_dir/server-$port.log" 2>&1 &
  server_pids+=($!)
  for _ in $(seq 300); do
    grep -q "serving on port" "$data_dir/server-$port.log" 2>/dev/null && break
    kill -0 "${server_pids[-1]}" 2>/dev/null || { cat "$data_dir/server-$port.log" >&2; exit 1; }
    sleep 0.1
  done
  grep -q "serving on port" "$data_dir/server-$port.log" || { cat "$data_dir/server-$port.log" >&2; exit 1; }
  started_addr="127.0.0.1:$port"
}

json_field() { grep -o "\"$2\": *[0-9.e+-]*" <<<"$1" | head -1 | sed 's/.*: *//'; }

rows=()
# Runs loadgen against SERVERS (comma-separated) with the token in DATA_DIR; adds a table row.
measure() {
  local name=$1 servers=$2 data_dir=$3 with_pg=$4 load server_before server_after pg_before=0 pg_after=0
  sleep 0.5
  echo "==> $name: $sessions sessions x $events events, batches of $batch, rate $rate ($servers)" >&2
  server_before=$(cpu_ticks "${server_pids[@]}")
  [[ $with_pg == yes ]] && pg_before=$(cpu_ticks $(postgres_pids))
  load=$("$bin/server/loadgen/proctor-loadgen" --server "$servers" \
    --token "$(cat "$data_dir/admin.token")" --sessions "$sessions" --events "$events" \
    --batch "$batch" --rate "$rate" --evidence-every "${EVIDENCE_EVERY:-0}" --json) || {
    echo "bench-matrix: $name: proctor-loadgen failed: $load" >&2
  }
  server_after=$(cpu_ticks "${server_pids[@]}")
  [[ $with_pg == yes ]] && pg_after=$(cpu_ticks $(postgres_pids))
  echo "    $load" >&2
  local hz
  hz=$(getconf CLK_TCK)
  rows+=("$(awk -v n="$name" -v r="$(json_field "$load" events_per_s)" \
    -v p50="$(json_field "$load" p50_ms)" -v p99="$(json_field "$load" p99_ms)" \
    -v acked="$(json_field "$load" acked)" -v sent="$(json_field "$load" sent)" \
    -v s="$(((server_after - server_before)))" -v pg="$(((pg_after - pg_before)))" \
    -v pgused="$with_pg" -v hz="$hz" 'BEGIN {
      printf "| %s | %.0f | %.1f | %.1f | %.1f | %s | %d / %d |", n, r, p50, p99, s / hz,
        (pgused == "yes" ? sprintf("%.1f", pg / hz) : "-"), acked, sent }')")
}

# 1. SQLite.
start_server "sqlite:$work/sqlite/proctor.db" "$work/sqlite"
measure "1 server, SQLite" "$started_addr" "$work/sqlite" no
stop_servers

# 2. One server on PostgreSQL.
psql_admin -c "CREATE DATABASE one"
start_server "postgresql://proctor@127.0.0.1:$pgport/one" "$work/pg-one"
measure "1 server, PostgreSQL" "$started_addr" "$work/pg-one" yes
stop_servers

# 3. Two replicas on one PostgreSQL.
psql_admin -c "CREATE DATABASE two"
start_server "postgresql://proctor@127.0.0.1:$pgport/two" "$work/pg-two"
a=$started_addr
start_server "postgresql://proctor@127.0.0.1:$pgport/two" "$work/pg-two"
measure "2 replicas, one PostgreSQL" "$a,$started_addr" "$work/pg-two" yes
stop_servers

table=$(
  echo "| configuration | events/s | p50 ms | p99 ms | proctor-server CPU s | PostgreSQL CPU s | acked / sent |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
)
echo
echo "$sessions sessions x $events events, batches of $batch, rate $rate/s per session" \
  "(0: closed loop), evidence every ${EVIDENCE_EVERY:-0}; $(nproc) cores"
echo
echo "$table"
if [[ -n "${OUT:-}" ]]; then echo "$table" >"$OUT"; fi
