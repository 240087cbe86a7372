#!/usr/bin/env bash
# Quick start, command 1: set everything up, then run the main job — proctor-server on embedded
# SQLite, a FINAL assessment, a learner enrolled from a photo, proctor-client proctoring a sample
# video (the learner alone, an empty seat, a second person, someone else, the learner again), the
# LMS recording the result, and the session's flags, verdict and result status at the end.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"

bin="$repo/build/release"
face="$bin/client/cli/proctor-face"
ctl="$bin/server/ctl/proctorctl"
demo_photos="$repo/.cache/face-api-1.7.15/package/demo"
data="$repo/.cache/demo-server"
port=${PROCTOR_DEMO_PORT:-50051}
http=${PROCTOR_DEMO_HTTP:-127.0.0.1:8080}  # the review console; '' turns it off
step() { printf '\n==> %s\n' "$*"; }

rm -rf "$data"
mkdir -p "$data"
step "Starting proctor-server on 127.0.0.1:$port (SQLite at $data/proctor.db)"
"$bin/server/service/proctor-server" --listen "127.0.0.1:$port" --data-dir "$data" \
  --http "$http" \
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

step "Administrator: an assessment, the learner enrolled from a photo, examiner and LMS tokens"
"$bin/client/tools/proctor-sample-video" --out "$data/exam.avi" --enroll-photo-out "$data/ada.jpg" \
  --models "${PROCTOR_MODELS:-$repo/models}"
c assessment create --id alg-final --course "Algebra 101" --title "Final exam" --kind final
c learner enroll --learner ada --name "Ada Lovelace" --photo "$data/ada.jpg" \
  --consent-ref "demo: consent form 2026-001"
examiner=$(c token issue --role examiner --label "Dr. Examiner")
lms=$(c token issue --role lms --label "LMS connector")

step "Learner: proctor-client on the sample video ($data/exam.avi); the consent notice is printed first and --consent stands for the learner's yes"
pass=$(c pass issue --learner ada --assessment alg-final 2>/dev/null)
"$bin/client/cli/proctor-client" run --server "127.0.0.1:$port" --pass "$pass" \
  --video "$data/exam.avi" --journal "$data/journal" --headless \
  --models "${PROCTOR_MODELS:-$repo/models}" --consent --json >"$data/client.json"
session=$(sed -nE 's/.*"session_id": "([^"]+)".*/\1/p' "$data/client.json")

step "LMS: the result recorded with the session's proctoring status"
c --token "$lms" result submit --session "$session" --score 46 --max 50

step "Examiner: the flagged session — its events, flags and why"
c --token "$examiner" session list --flagged
c --token "$examiner" session show "$session"

step "Verdict and recorded result (the examiner has not decided yet: the result waits)"
c session list
c result list

if [[ ${PROCTOR_DEMO_KEEP:-0} == 1 && -n $http ]]; then
  printf '\nReview console: http://%s/  (examiner token: %s)\nCtrl-C stops the server.\n' \
    "$http" "$examiner"
  wait "$server_pid"
fi
