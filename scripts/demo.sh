#!/usr/bin/env bash
# Quick start, command 1: set everything up, then run the main job — proctor-server on embedded
# SQLite, an assessment, a learner enrolled from a photo, two scripted proctored sessions driven
# through proctorctl (one honest FINAL exam, one suspicious midterm), the LMS recording both
# results, an examiner's decision, and the results with their proctoring status.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"

bin="$repo/build/release"
face="$bin/client/cli/proctor-face"
ctl="$bin/server/ctl/proctorctl"
demo_photos="$repo/.cache/face-api-1.7.15/package/demo"
data="$repo/.cache/demo-server"
port=${PROCTOR_DEMO_PORT:-50051}
step() { printf '\n==> %s\n' "$*"; }

rm -rf "$data"
mkdir -p "$data"
step "Starting proctor-server on 127.0.0.1:$port (SQLite at $data/proctor.db)"
"$bin/server/service/proctor-server" --listen "127.0.0.1:$port" --data-dir "$data" \
  --models "${PROCTOR_MODELS:-$repo/models}" >"$data/server.log" 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true; wait $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do [[ -s "$data/admin.token" ]] && break; sleep 0.1; done
if [[ ! -s "$data/admin.token" ]]; then
  cat "$data/server.log" >&2
  echo "demo.sh: proctor-server did not start" >&2
  exit 1
fi
export PROCTOR_TOKEN
PROCTOR_TOKEN=$(cat "$data/admin.token")
c() { "$ctl" --server "127.0.0.1:$port" "$@"; }

step "Administrator: two assessments, one learner enrolled from a photo, examiner and LMS tokens"
c assessment create --id alg-final --course "Algebra 101" --title "Final exam" --kind final
c assessment create --id alg-mid --course "Algebra 101" --title "Midterm" --kind intermediate
c learner enroll --learner ada --name "Ada Lovelace" --photo "$demo_photos/sample2.jpg"
examiner=$(c token issue --role examiner --label "Dr. Examiner")
lms=$(c token issue --role lms --label "LMS connector")

step "The learner's face and someone else's, as the client computes them (proctor-face)"
mkdir -p "$data/chips"
"$face" embed --json --chips "$data/chips" "$demo_photos/sample2.jpg" "$demo_photos/sample4.jpg" \
  >"$data/faces.json"
echo "descriptors in $data/faces.json, evidence chips in $data/chips/"

step "Session 1: FINAL exam, sat honestly (scripts/sessions/final-honest.script)"
pass=$(c pass issue --learner ada --assessment alg-final 2>/dev/null)
s1=$(c session replay --pass "$pass" --script "$repo/scripts/sessions/final-honest.script" \
     --faces "$data/faces.json" --json)
echo "$s1"
s1_id=$(echo "$s1" | sed -E 's/.*"session_id":"([^"]+)".*/\1/')

step "Session 2: midterm with a second person, someone else verified, an empty seat"
pass=$(c pass issue --learner ada --assessment alg-mid 2>/dev/null)
s2=$(c session replay --pass "$pass" --script "$repo/scripts/sessions/midterm-suspicious.script" \
     --faces "$data/faces.json" --json)
echo "$s2"
s2_id=$(echo "$s2" | sed -E 's/.*"session_id":"([^"]+)".*/\1/')

step "LMS: both results recorded"
c --token "$lms" result submit --session "$s1_id" --score 46 --max 50
c --token "$lms" result submit --session "$s2_id" --score 39 --max 50

step "Examiner: the flagged queue, the flagged session, a decision"
c --token "$examiner" session list --flagged
c --token "$examiner" session show "$s2_id"
c --token "$examiner" review decide "$s2_id" --verdict reject \
  --note "a different person verified at 0:45 and a second person on camera from 1:10"

step "Verdicts and recorded results"
c session list
c result list
