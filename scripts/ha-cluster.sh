#!/usr/bin/env bash
# A highly available PostgreSQL cluster on loopback, for tests, benchmarks and as the starting
# point of a real deployment (README "High availability"): three etcd members (the DCS that holds
# the leader lock), three PostgreSQL 15 members run by Patroni, synchronous_mode on (a commit is
# acknowledged only once the synchronous standby has it, so a failover loses nothing
# acknowledged), failover at once when the primary's postmaster dies (primary_start_timeout 0).
#
#   scripts/ha-cluster.sh start DIR [--base-port N]  creates (first time) or starts the cluster in
#                                                 DIR; the last line printed is its libpq URI
#   scripts/ha-cluster.sh stop DIR                stops Patroni (and its PostgreSQL), then etcd
#   scripts/ha-cluster.sh status DIR [--json]     members, roles, lag (patronictl list)
#   scripts/ha-cluster.sh primary DIR             "NAME PG_PORT POSTMASTER_PID" of the leader
#   scripts/ha-cluster.sh uri DIR                 the multi-host URI again
#   scripts/ha-cluster.sh wait DIR [SECONDS]      waits for a leader and a streaming sync standby
#   scripts/ha-cluster.sh freeze|thaw DIR MEMBER  SIGSTOP/SIGCONT a member's Patroni, postmaster
#                                                 and backends: a host cut off, for failover drills
#   scripts/ha-cluster.sh backup DIR DEST         a base backup of the primary into the new folder
#                                                 DEST (pg_basebackup, fast checkpoint, WAL
#                                                 streamed); with DIR/wal-archive, where every
#                                                 member archives its WAL, scripts/pg-restore.sh
#                                                 restores it to any later moment
#
# Ports: --base-port N takes N..N+11 (etcd client/peer N+0..5, PostgreSQL N+6..8, Patroni REST
# N+9..11); without it, the first free block from 25400 upwards. Loopback only, trust
# authentication for the database user "proctor": a test cluster, not a hardened one.
# Needs Debian's patroni, etcd-server, python3-etcd and postgresql (scripts/setup.sh installs
# them). As root, PostgreSQL and Patroni run as the "postgres" user (initdb refuses root).
set -euo pipefail

die() { echo "ha-cluster.sh: $*" >&2; exit 1; }
usage() { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

cmd=${1:-}
[[ $cmd == -h || $cmd == --help || -z $cmd ]] && { usage; [[ -n $cmd ]]; exit $?; }
shift
dir=${1:-}
[[ -n $dir ]] || die "$cmd: give the cluster's directory (scripts/ha-cluster.sh --help)"
shift

# Patroni runs on Debian's own Python; so do the helpers here (a python3 earlier in PATH may lack
# its modules).
py=/usr/bin/python3
[[ -x $py ]] || py=python3
members=(pg1 pg2 pg3)
etcds=(etcd1 etcd2 etcd3)
pg_bin=""
for d in /usr/lib/postgresql/*/bin; do [[ -x $d/postgres ]] && pg_bin=$d; done

run_as=()
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "no 'postgres' user: install Debian's postgresql package"
  run_as=(runuser -u postgres --)
fi

need() {
  command -v "$1" >/dev/null || die "$1 not found: install Debian's $2 (scripts/setup.sh does)"
}

port_free() {
  "$py" - "$1" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

load_ports() {
  [[ -f $dir/ports ]] || die "$dir holds no cluster (scripts/ha-cluster.sh start $dir)"
  # shellcheck source=/dev/null
  source "$dir/ports"
}

cluster_uri() {
  printf 'postgresql://proctor@127.0.0.1:%s,127.0.0.1:%s,127.0.0.1:%s/proctor?target_session_attrs=read-write\n' \
    "$((base + 6))" "$((base + 7))" "$((base + 8))"
}

# The cluster as Patroni's REST API describes it (GET /cluster on any member that answers).
cluster_json() {
  "$py" - "$base" <<'EOF'
import json, sys, urllib.request
base = int(sys.argv[1])
for i in range(3):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{base + 9 + i}/cluster", timeout=2) as r:
            print(r.read().decode())
            sys.exit(0)
    except Exception:
        pass
sys.exit(1)
EOF
}

# 0 when there is a running leader and a streaming sync standby; prints what is missing.
cluster_ready() {
  local json
  json=$(cluster_json) || { echo "no Patroni member answers"; return 1; }
  "$py" -c '
import json, sys
c = json.loads(sys.argv[1])
roles = {m["name"]: (m["role"], m["state"]) for m in c.get("members", [])}
leader = [n for n, (r, s) in roles.items() if r in ("leader", "master", "primary") and s == "running"]
sync = [n for n, (r, s) in roles.items() if r == "sync_standby" and s in ("streaming", "running")]
if leader and sync:
    sys.exit(0)
print("members: " + ", ".join(f"{n} {r} {s}" for n, (r, s) in sorted(roles.items())))
sys.exit(1)
' "$json"
}

wait_ready() {
  local timeout=$1 start why=""
  start=$(date +%s)
  while ! why=$(cluster_ready); do
    if (($(date +%s) - start >= timeout)); then
      echo "ha-cluster.sh: no leader with a streaming sync standby after ${timeout} s ($why)" >&2
      echo "  logs: $dir/*/patroni.log, $dir/*/etcd.log" >&2
      return 1
    fi
    sleep 0.5
  done
}

write_config() {
  local i name
  mkdir -p "$dir"
  for i in 0 1 2; do
    name=${etcds[$i]}
    mkdir -p "$dir/$name"
  done
  local initial_cluster="etcd1=http://127.0.0.1:$((base + 3)),etcd2=http://127.0.0.1:$((base + 4)),etcd3=http://127.0.0.1:$((base + 5))"
  printf '%s\n' "$initial_cluster" >"$dir/etcd-initial-cluster"
  cat >"$dir/post-bootstrap.sh" <<'EOF'
#!/bin/sh
# Run once by Patroni on the first primary, with its superuser URI as $1.
set -e
psql -v ON_ERROR_STOP=1 "$1" -c "CREATE ROLE proctor LOGIN" -c "CREATE DATABASE proctor OWNER proctor ENCODING 'UTF8' TEMPLATE template0"
EOF
  chmod 755 "$dir/post-bootstrap.sh"
  for i in 0 1 2; do
    name=${members[$i]}
    mkdir -p "$dir/$name"
    cat >"$dir/$name/patroni.yml" <<EOF
# Patroni member $name of the proctor test cluster (scripts/ha-cluster.sh).
scope: proctor
name: $name
log:
  dir: $dir/$name
  file_num: 2
restapi:
  listen: 127.0.0.1:$((base + 9 + i))
  connect_address: 127.0.0.1:$((base + 9 + i))
etcd3:
  hosts: 127.0.0.1:$base,127.0.0.1:$((base + 1)),127.0.0.1:$((base + 2))
bootstrap:
  dcs:
    # Leader lock TTL 10 s, renewed every second: a dead Patroni is replaced within ~10 s, a dead
    # postmaster at once (primary_start_timeout 0 fails over instead of restarting it in place).
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    primary_start_timeout: 0
    synchronous_mode: true
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        max_wal_senders: 10
        max_replication_slots: 10
        max_connections: 200
        wal_keep_size: 256MB
        # Every finished WAL segment is copied to DIR/wal-archive (by whichever member is
        # primary; a copy under a temporary name, renamed, never overwritten): with a base backup
        # (scripts/ha-cluster.sh backup) it restores to any moment (scripts/pg-restore.sh).
        # archive_timeout closes a segment at least every minute, so a quiet minute is archived.
        archive_mode: "on"
        archive_command: "test ! -f $dir/wal-archive/%f && cp %p $dir/wal-archive/%f.tmp && mv $dir/wal-archive/%f.tmp $dir/wal-archive/%f"
        archive_timeout: 60
  initdb:
    - encoding: UTF8
    - data-checksums
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
  post_bootstrap: $dir/post-bootstrap.sh
postgresql:
  listen: 127.0.0.1:$((base + 6 + i))
  connect_address: 127.0.0.1:$((base + 6 + i))
  data_dir: $dir/$name/data
  bin_dir: $pg_bin
  pgpass: $dir/$name/pgpass
  authentication:
    superuser:
      username: postgres
    replication:
      username: replicator
    rewind:
      username: postgres
  parameters:
    unix_socket_directories: $dir/$name
  # A new standby copies the primary with pg_basebackup; a fast checkpoint starts the copy at
  # once instead of after a spread checkpoint (a minute or more).
  basebackup:
    - checkpoint: fast
tags:
  nofailover: false
  noloadbalance: false
EOF
  done
  printf 'base=%s\n' "$base" >"$dir/ports"
}

start_etcd() {
  local i name state=new
  [[ -d $dir/etcd1/data/member ]] && state=existing
  for i in 0 1 2; do
    name=${etcds[$i]}
    if [[ -f $dir/$name/pid ]] && kill -0 "$(cat "$dir/$name/pid")" 2>/dev/null; then continue; fi
    setsid etcd --name "$name" --data-dir "$dir/$name/data" \
      --listen-client-urls "http://127.0.0.1:$((base + i))" \
      --advertise-client-urls "http://127.0.0.1:$((base + i))" \
      --listen-peer-urls "http://127.0.0.1:$((base + 3 + i))" \
      --initial-advertise-peer-urls "http://127.0.0.1:$((base + 3 + i))" \
      --initial-cluster "$(cat "$dir/etcd-initial-cluster")" \
      --initial-cluster-token proctor-ha --initial-cluster-state "$state" \
      --enable-v2=true >>"$dir/$name/etcd.log" 2>&1 </dev/null &
    echo $! >"$dir/$name/pid"
  done
}

start_patroni() {
  local name
  for name in "${members[@]}"; do
    if [[ -f $dir/$name/pid ]] && kill -0 "$(cat "$dir/$name/pid")" 2>/dev/null; then continue; fi
    # The shell writes its own pid, then becomes Patroni: the pid file names Patroni itself, not
    # runuser. It starts in the member's folder: Patroni's helper processes chdir to its working
    # directory, which the postgres user may not enter (root's checkout in /root, say).
    setsid "${run_as[@]}" sh -c 'cd "$1" && echo $$ >"$1/pid" && exec patroni "$1/patroni.yml"' sh \
      "$dir/$name" >>"$dir/$name/patroni.out" 2>&1 </dev/null &
  done
}

stop_pidfile() {
  local f=$1 sig=${2:-TERM} pid i
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "-$sig" "$pid" 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$f"
}

case $cmd in
  start)
    need patroni patroni
    need etcd etcd-server
    [[ -n $pg_bin ]] || die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: install postgresql"
    "$py" -c 'import etcd' 2>/dev/null || die "Patroni's etcd client is missing: install python3-etcd"
    base=""
    while [[ $# -gt 0 ]]; do
      case $1 in
        --base-port) base=${2:?--base-port needs a number}; shift 2 ;;
        *) die "start: unknown argument $1" ;;
      esac
    done
    dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
    if [[ -f $dir/ports ]]; then
      load_ports
    else
      if [[ -z $base ]]; then
        for ((b = 25400; b < 40000; b += 15)); do
          ok=1
          for ((p = b; p < b + 12; p++)); do port_free "$p" || { ok=0; break; }; done
          ((ok)) && { base=$b; break; }
        done
        [[ -n $base ]] || die "no block of 12 free loopback ports between 25400 and 40000"
      fi
      write_config
    fi
    # Patroni's worker pools need POSIX semaphores, which live in /dev/shm; a bare root (a chroot
    # with /dev bound without its submounts) has it root-only, and then every failover fails.
    if ! "${run_as[@]}" test -w /dev/shm; then
      if [[ $(id -u) -eq 0 && -d /dev/shm ]]; then
        chmod 1777 /dev/shm
        echo "==> /dev/shm was not writable for postgres: set to 1777 (its usual mode)" >&2
      else
        die "/dev/shm is not writable: Patroni needs POSIX semaphores (mount a tmpfs there, mode 1777)"
      fi
    fi
    mkdir -p "$dir/wal-archive"
    [[ ${#run_as[@]} -eq 0 ]] || chown -R postgres: "$dir"
    chmod 755 "$dir"
    "${run_as[@]}" test -w "$dir" -a -x "$dir" ||
      die "the postgres user cannot write to $dir: a folder above it is private (chmod o+x it, or choose another)"
    echo "==> etcd: 3 members on 127.0.0.1:$base-$((base + 2))" >&2
    start_etcd
    echo "==> Patroni: PostgreSQL members on 127.0.0.1:$((base + 6))-$((base + 8)), REST $((base + 9))-$((base + 11))" >&2
    start_patroni
    echo "==> waiting for a leader and a streaming synchronous standby" >&2
    wait_ready 180
    cluster_uri
    ;;
  stop)
    load_ports
    for name in "${members[@]}"; do stop_pidfile "$dir/$name/pid" TERM & done
    wait
    for name in "${members[@]}"; do
      # A postmaster left by a Patroni that was SIGKILLed.
      if [[ -f $dir/$name/data/postmaster.pid ]]; then
        pid=$(head -1 "$dir/$name/data/postmaster.pid")
        kill -0 "$pid" 2>/dev/null && kill -INT "$pid" 2>/dev/null || true
      fi
    done
    for name in "${etcds[@]}"; do stop_pidfile "$dir/$name/pid" TERM; done
    echo "stopped the cluster in $dir" >&2
    ;;
  status)
    load_ports
    if [[ ${1:-} == --json ]]; then
      cluster_json || die "no Patroni member answers (is the cluster started?)"
    else
      "${run_as[@]}" patronictl -c "$dir/pg1/patroni.yml" list
    fi
    ;;
  primary)
    load_ports
    json=$(cluster_json) || die "no Patroni member answers"
    "$py" -c '
import json, sys
c = json.loads(sys.argv[1])
for m in c.get("members", []):
    if m["role"] in ("leader", "master", "primary") and m["state"] == "running":
        pid = open(sys.argv[2] + "/" + m["name"] + "/data/postmaster.pid").readline().strip()
        print(m["name"], m["port"], pid)
        sys.exit(0)
sys.exit(1)
' "$json" "$dir" || die "the cluster has no running leader now"
    ;;
  freeze | thaw)
    load_ports
    member=${1:-}
    [[ -f $dir/$member/patroni.yml ]] || die "$cmd: no member '$member' in $dir (pg1, pg2, pg3)"
    sig=STOP
    [[ $cmd == thaw ]] && sig=CONT
    pids=()
    [[ -f $dir/$member/pid ]] && pids+=("$(cat "$dir/$member/pid")")
    if [[ -f $dir/$member/data/postmaster.pid ]]; then
      postmaster=$(head -1 "$dir/$member/data/postmaster.pid")
      pids+=("$postmaster")
      for child in /proc/[0-9]*; do
        [[ $(awk '{print $4}' "$child/stat" 2>/dev/null) == "$postmaster" ]] && pids+=("${child#/proc/}")
      done
    fi
    [[ ${#pids[@]} -gt 0 ]] || die "$cmd: $member runs nothing"
    # Patroni first on freeze (it must not notice and demote), last on thaw.
    [[ $cmd == thaw ]] && pids=("${pids[@]:1}" "${pids[0]}")
    kill "-$sig" "${pids[@]}" 2>/dev/null || true
    echo "$cmd: SIG$sig to ${#pids[@]} processes of $member" >&2
    ;;
  uri)
    load_ports
    cluster_uri
    ;;
  backup)
    load_ports
    dest=${1:-}
    [[ -n $dest ]] || die "backup: give a new folder for the base backup"
    [[ -e $dest ]] && die "backup: $dest exists; a base backup goes into a new folder"
    read -r _ port _ < <("$0" primary "$dir") || die "backup: the cluster has no primary now"
    mkdir -p "$(dirname "$dest")"
    started=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
    echo "==> pg_basebackup from the primary on 127.0.0.1:$port into $dest" >&2
    pg_basebackup -d "host=127.0.0.1 port=$port user=replicator" -D "$dest" -X stream \
      -c fast --label "proctor $started" ${PROCTOR_BACKUP_PROGRESS:+-P} >&2 ||
      die "backup: pg_basebackup failed"
    printf 'base backup of %s taken %s; WAL archive %s\n' "$dir" "$started" "$dir/wal-archive" \
      >"$dest/PROCTOR-BACKUP"
    echo "==> $(du -sh "$dest" | cut -f1) in $dest; WAL archive: $dir/wal-archive" >&2
    echo "$dest"
    ;;
  wait)
    load_ports
    wait_ready "${1:-120}"
    ;;
  *)
    die "unknown command '$cmd' (scripts/ha-cluster.sh --help)"
    ;;
esac
