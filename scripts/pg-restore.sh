#!/usr/bin/env bash
# Point-in-time restore of a base backup (scripts/ha-cluster.sh backup, or any pg_basebackup of
# the cluster) with its WAL archive, into a new standalone PostgreSQL on loopback: to check a
# backup, to recover what a mistake destroyed, or as the first member of a rebuilt cluster
# (README "Backup and restore").
#
#   scripts/pg-restore.sh start BACKUP TARGET --archive DIR [--until TIME] [--timeline N|latest]
#                               [--port N]
#       copies BACKUP into the new folder TARGET (the backup stays as it is), replays the WAL
#       archive up to TIME (a PostgreSQL timestamp, e.g. '2026-12-03 14:20:05+00'; without it:
#       everything archived; the archive must reach past TIME, else PostgreSQL refuses to stop
#       short of it), promotes, and prints the restored database's URI as its last line.
#       The timeline followed: by default the newest one in the archive that descends from the
#       backup's (a promotion that was later abandoned leaves the history of a timeline that
#       forked off before the backup: PostgreSQL's own 'latest' would refuse to start on it)
#   scripts/pg-restore.sh stop TARGET
#
# PostgreSQL runs as the "postgres" user when root. Trust authentication on loopback, as in the
# test cluster.
set -euo pipefail

die() { echo "pg-restore.sh: $*" >&2; exit 1; }
usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

pg_bin=""
for d in /usr/lib/postgresql/*/bin; do [[ -x $d/postgres ]] && pg_bin=$d; done
[[ -n $pg_bin ]] || die "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: install postgresql"
run_as=()
[[ $(id -u) -eq 0 ]] && run_as=(runuser -u postgres --)

cmd=${1:-}
[[ $cmd == -h || $cmd == --help || -z $cmd ]] && { usage; [[ -n $cmd ]]; exit $?; }
shift

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# An LSN such as 0/61A1608 as one number.
lsn_value() {
  local hi=${1%/*} lo=${1#*/}
  echo $(((16#$hi << 32) + 16#$lo))
}

# The newest timeline in ARCHIVE whose history leaves the backup's timeline after the backup's
# end (or the backup's own timeline when none does): a timeline that forked before the backup
# ended cannot follow it.
descendant_timeline() {
  local backup=$1 archive=$2 label tli end best history name t parent switch
  label=$backup/backup_label
  [[ -f $label ]] || die "start: $backup has no backup_label (not a pg_basebackup in plain format?)"
  tli=$(sed -n 's/^START TIMELINE: \([0-9]*\).*/\1/p' "$label")
  end=$(sed -n 's/^CHECKPOINT LOCATION: \([0-9A-Fa-f]*\/[0-9A-Fa-f]*\).*/\1/p' "$label")
  [[ -n $tli && -n $end ]] || die "start: cannot read the timeline and checkpoint from $label"
  # pg_basebackup's manifest names where the backup's WAL ends, later than its checkpoint.
  if [[ -f $backup/backup_manifest ]]; then
    end=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["WAL-Ranges"][-1]["End-LSN"])' \
      "$backup/backup_manifest" 2>/dev/null || echo "$end")
  fi
  end=$(lsn_value "$end")
  best=$tli
  for history in "$archive"/*.history; do
    name=$(basename "$history")
    [[ $name =~ ^[0-9A-Fa-f]{8}\.history$ ]] || continue
    t=$((16#${name%.history}))
    ((t > best)) || continue
    # Each line: parent timeline, the LSN where the child left it, a reason.
    while read -r parent switch _; do
      [[ $parent =~ ^[0-9]+$ && $parent -eq $tli && $switch == */* ]] || continue
      if (($(lsn_value "$switch") > end)); then
        best=$t
      else
        echo "==> skipping timeline $t: it forked off timeline $tli at $switch, before the backup ended" >&2
      fi
    done <"$history"
  done
  echo "$best"
}

case $cmd in
  start)
    backup=${1:-} target=${2:-}
    [[ -n $backup && -n $target ]] || die "start: give BACKUP and TARGET (see --help)"
    shift 2
    archive="" until="" port="" timeline=""
    while [[ $# -gt 0 ]]; do
      case $1 in
        --archive) archive=${2:?--archive needs a folder}; shift 2 ;;
        --until) until=${2:?--until needs a timestamp}; shift 2 ;;
        --port) port=${2:?--port needs a number}; shift 2 ;;
        --timeline) timeline=${2:?--timeline needs a number or latest}; shift 2 ;;
        *) die "start: unknown argument $1" ;;
      esac
    done
    [[ -f $backup/PG_VERSION ]] || die "start: $backup is not a PostgreSQL base backup (no PG_VERSION)"
    [[ -n $archive ]] || die "start: give the WAL archive with --archive (DIR/wal-archive of the cluster)"
    [[ -d $archive ]] || die "start: no WAL archive folder $archive"
    [[ -e $target ]] && die "start: $target exists; the restore goes into a new folder"
    archive=$(cd "$archive" && pwd)
    [[ -z $timeline || $timeline == latest || $timeline =~ ^[0-9]+$ ]] ||
      die "start: --timeline takes a number or 'latest', not '$timeline'"
    [[ -n $timeline ]] || timeline=$(descendant_timeline "$backup" "$archive")
    [[ -n $port ]] || port=$(free_port)
    mkdir -p "$target"
    target=$(cd "$target" && pwd)
    echo "==> copying the base backup $backup into $target" >&2
    cp -a "$backup/." "$target/"
    # What the cluster's members wrote for themselves (Patroni's configuration, a standby's
    # signal) is replaced by a standalone server's own.
    rm -f "$target"/postmaster.pid "$target"/standby.signal "$target"/postgresql.base.conf \
      "$target"/patroni.dynamic.json "$target"/postgresql.auto.conf
    cat >"$target/postgresql.conf" <<EOF
# A point-in-time restore (scripts/pg-restore.sh) of $backup.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$target'
hba_file = '$target/pg_hba.conf'
ident_file = '$target/pg_ident.conf'
# At least the cluster's settings: recovery refuses lower ones.
max_connections = 200
max_wal_senders = 10
max_replication_slots = 10
wal_level = replica
wal_log_hints = on
archive_mode = off
restore_command = 'cp $archive/%f %p'
recovery_target_timeline = '$timeline'
recovery_target_action = 'promote'
EOF
    [[ -n $until ]] && printf "recovery_target_time = '%s'\n" "$until" >>"$target/postgresql.conf"
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\n' >"$target/pg_hba.conf"
    : >"$target/pg_ident.conf"
    touch "$target/recovery.signal"
    chmod 700 "$target"
    [[ ${#run_as[@]} -eq 0 ]] || chown -R postgres: "$target"
    echo "==> replaying the WAL archive ${until:+up to $until }on timeline $timeline and promoting (port $port)" >&2
    # From inside TARGET: the postgres user may not enter the caller's working directory.
    (cd "$target" && "${run_as[@]}" "$pg_bin/pg_ctl" -D "$target" -l "$target/restore.log" -w -t 300 start) >&2 ||
      { tail -20 "$target/restore.log" >&2; die "start: PostgreSQL did not start"; }
    for _ in $(seq 600); do
      state=$(psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atc 'SELECT pg_is_in_recovery()' 2>/dev/null || true)
      [[ $state == f ]] && break
      sleep 0.5
    done
    [[ $state == f ]] || { tail -20 "$target/restore.log" >&2; die "start: recovery did not finish within 5 minutes"; }
    grep -E "recovery stopping|redo done|archive recovery complete" "$target/restore.log" | tail -3 >&2 || true
    echo "postgresql://proctor@127.0.0.1:$port/proctor"
    ;;
  stop)
    target=${1:-}
    [[ -f $target/postgresql.conf ]] || die "stop: $target is not a restored database"
    (cd "$target" && "${run_as[@]}" "$pg_bin/pg_ctl" -D "$target" -m fast -w stop) >&2
    ;;
  *)
    die "unknown command '$cmd' (scripts/pg-restore.sh --help)"
    ;;
esac
