#!/usr/bin/env bash
# Exam-day soak (a measurement that also checks nothing is lost): proctor-loadgen in open loop —
# sessions paced as real clients (a batch of 10 events every 2 s, identity evidence every 30 s),
# arriving over the ramp, one TCP connection each — against 2 replicas of proctor-server on a
# Patroni cluster (scripts/ha-cluster.sh), and in the same run against one proctor-server on
# SQLite as the baseline. Samples each server's resident memory, threads and open files every
# 5 s and PostgreSQL's WAL position, then prints per minute: acks, p50/p99/p99.9 ack latency,
# memory, threads, files; memory per open session; WAL bytes per event; whether a figure grows
# after the ramp (a leak); and the cluster's figures as ratios to the SQLite run.
#
#   scripts/soak.sh [--sessions N] [--minutes M] [--ramp S] [--backend both|cluster|sqlite]
#                   [--out DIR] [--short]
#
#   --sessions N   concurrent sessions (default 5000)
#   --minutes M    how long each run streams, ramp included (default 15)
#   --ramp S       seconds over which the sessions arrive (default 300)
#   --backend B    both (default), cluster or sqlite
#   --out DIR      keep logs, samples and summary.json there (default: a temporary folder,
#                  removed at the end unless the run failed)
#   --short        the CI version: 300 sessions for 1 minute, 20 s ramp
#
# Exit status 0 when every run acknowledged everything it made, stored exactly that (0 lost,
# 0 duplicated) and no stream failed; 1 otherwise. Needs a release build (scripts/setup.sh) and,
# for the cluster, Debian's patroni and etcd-server (setup.sh installs them).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$repo/build/release"
py=/usr/bin/python3
[[ -x $py ]] || py=python3

sessions=5000 minutes=15 ramp=300 backend=both out="" keep=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --sessions) sessions=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --ramp) ramp=$2; shift 2 ;;
    --backend) backend=$2; shift 2 ;;
    --out) out=$2; keep=1; shift 2 ;;
    --short) sessions=300 minutes=1 ramp=20; shift ;;
    -h | --help) sed -n '2,25p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ $backend == both || $backend == cluster || $backend == sqlite ]] ||
  { echo "soak.sh: --backend must be both, cluster or sqlite" >&2; exit 2; }
for b in server/service/proctor-server server/loadgen/proctor-loadgen; do
  [[ -x $bin/$b ]] || { echo "soak.sh: $bin/$b missing: run scripts/setup.sh first" >&2; exit 2; }
done
duration=$((minutes * 60))
((ramp < duration)) || { echo "soak.sh: --ramp must be shorter than --minutes" >&2; exit 2; }
if [[ -z $out ]]; then out=$(mktemp -d /tmp/proctor-soak.XXXXXX); else mkdir -p "$out"; fi
# The cluster runs as the postgres user when root: it must be able to enter the folder.
chmod 755 "$out"
out=$(cd "$out" && pwd)

# One connection per learner: each server and the load generator hold thousands of sockets.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
need_fds=$((sessions + 200))
if (($(ulimit -n) < need_fds)); then
  echo "soak.sh: open-file limit $(ulimit -n) is below the $need_fds that $sessions sessions need" \
    "(raise it: ulimit -Hn, /etc/security/limits.conf)" >&2
  exit 2
fi

cluster_dir=""
stop_servers() {  # $1 a run dir: SIGTERM its servers, wait until they are gone
  local p
  for p in $(cat "$1/server.pids" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  for p in $(cat "$1/server.pids" 2>/dev/null); do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
}
cleanup() {
  local rc=$?
  local d
  for d in "$out"/*/; do stop_servers "$d"; done
  wait 2>/dev/null || true
  [[ -n $cluster_dir ]] && "$repo/scripts/ha-cluster.sh" stop "$cluster_dir" >/dev/null 2>&1 || true
  if ((rc == 0 && keep == 0)); then rm -rf "$out"; elif ((rc != 0)); then
    echo "soak.sh: logs kept in $out" >&2
  fi
}
trap cleanup EXIT

free_port() {
  "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Starts a proctor-server; prints its gRPC address. $1 run dir, $2 data dir, $3.. extra flags.
# (Runs in a command substitution: the server's pid goes to $1/server.pids.)
start_server() {
  local run=$1 data=$2; shift 2
  local port http
  port=$(free_port) http=$(free_port)
  "$bin/server/service/proctor-server" --listen "127.0.0.1:$port" --http "127.0.0.1:$http" \
    --data-dir "$data" --models "${PROCTOR_MODELS:-$repo/models}" "$@" \
    >>"$run/server-$port.log" 2>&1 &
  echo "$!" >>"$run/server.pids"
  for _ in $(seq 300); do
    [[ -s $data/admin.token ]] && (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.2
  done
  (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null ||
    { echo "soak.sh: proctor-server did not start:" >&2; tail -20 "$run"/server-*.log >&2; return 1; }
  echo "127.0.0.1:$port"
}

# Every 5 s until $run/done exists: "t_s pid rss_kb threads fds phase cpu_ticks" per server.
sample() {
  local run=$1 t0=$2
  while [[ ! -e $run/done ]]; do
    local phase=setup
    grep -q "; streaming" "$run/loadgen.log" 2>/dev/null && phase=streaming
    local now; now=$(date +%s.%N)
    while read -r pid; do
      [[ -r /proc/$pid/status ]] || continue
      awk -v t="$(awk -v a="$now" -v b="$t0" 'BEGIN{printf "%.1f", a-b}')" -v pid="$pid" \
        -v fds="$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)" -v phase="$phase" \
        -v cpu="$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null)" \
        '/^VmRSS:/ {rss=$2} /^Threads:/ {th=$2} END {print t, pid, rss, th, fds, phase, cpu}' \
        "/proc/$pid/status" >>"$run/samples.txt"
    done <"$run/server.pids"
    sleep 5
  done
}

# Runs the load against the servers of $run (comma-separated addresses in $2); $3 replicas.
run_load() {
  local run=$1 servers=$2 replicas=$3 token=$4
  local t0; t0=$(date +%s.%N)
  echo "$t0" >"$run/t0"
  sample "$run" "$t0" &
  local sampler=$!
  local rc=0
  PROCTOR_TOKEN=$token "$bin/server/loadgen/proctor-loadgen" --server "$servers" \
    --sessions "$sessions" --duration "$duration" --ramp "$ramp" --rate 5 --batch 10 \
    --evidence-every 150 --channels $(((sessions + replicas - 1) / replicas)) --timeout 60 \
    --json >"$run/loadgen.json" 2> >(tee "$run/loadgen.log" | awk 'NR % 30 == 1 { print; fflush() }' >&2) || rc=$?
  touch "$run/done"
  wait "$sampler" || true
  return $rc
}

overall=0

if [[ $backend == both || $backend == sqlite ]]; then
  run="$out/sqlite"
  rm -rf "$run" && mkdir -p "$run/data"  # a fresh database: every event in it is this run's
  echo "==> SQLite baseline: one proctor-server, $sessions sessions for $minutes min" >&2
  addr=$(start_server "$run" "$run/data")
  run_load "$run" "$addr" 1 "$(cat "$run/data/admin.token")" || overall=1
  stop_servers "$run"
  "$py" - "$run/data/proctor.db" >"$run/stored.json" <<'EOF'
import json, os, sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
rows, distinct = db.execute(
    "SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT session_sid, seq FROM events)) "
    "FROM events").fetchone()
print(json.dumps({"stored": rows, "distinct": distinct,
                  "db_bytes": os.path.getsize(sys.argv[1])}))
EOF
fi

if [[ $backend == both || $backend == cluster ]]; then
  run="$out/cluster"
  cluster_dir="$run/pg"
  rm -rf "$run" && mkdir -p "$run/data" "$cluster_dir"
  echo "==> Patroni cluster: 3 etcd + 3 PostgreSQL members (scripts/ha-cluster.sh)" >&2
  uri=$("$repo/scripts/ha-cluster.sh" start "$cluster_dir" | tail -1)
  export PGCONNECT_TIMEOUT=5
  echo "==> 2 proctor-server replicas on it, $sessions sessions for $minutes min" >&2
  a=$(start_server "$run" "$run/data" --db "$uri")
  b=$(start_server "$run" "$run/data" --db "$uri")
  # The schema exists once a server has started; the WAL position from here on is the load's.
  lsn0=$(psql "$uri" -Atc "SELECT pg_current_wal_lsn()")
  run_load "$run" "$a,$b" 2 "$(cat "$run/data/admin.token")" || overall=1
  lsn1=$(psql "$uri" -Atc "SELECT pg_current_wal_lsn()")
  psql "$uri" -Atc "SELECT json_build_object('stored', count(*),
      'distinct', (SELECT count(*) FROM (SELECT DISTINCT session_sid, seq FROM events) d),
      'wal_bytes', pg_wal_lsn_diff('$lsn1', '$lsn0'),
      'db_bytes', pg_database_size(current_database())) FROM events" >"$run/stored.json"
  stop_servers "$run"
  "$repo/scripts/ha-cluster.sh" stop "$cluster_dir" >/dev/null 2>&1 || true
  cluster_dir=""
fi

"$py" "$repo/scripts/soak_report.py" "$out" --sessions "$sessions" --ramp "$ramp" \
  --ticks "$(getconf CLK_TCK)" || overall=1
exit $overall
