#!/usr/bin/env bash
# scripts/check-boundaries.sh must pass on the tree and fail on each planted violation, naming it.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
check="$repo/scripts/check-boundaries.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$check" "$repo" >/dev/null || { echo "FAIL: the tree itself violates a boundary" >&2; exit 1; }

plant() {  # plant FILE LINE EXPECTED_MESSAGE
  rm -rf "$work/tree" && mkdir -p "$work/tree"
  cp -r "$repo/common" "$repo/protocol" "$repo/biometrics" "$repo/client" "$repo/server" "$work/tree/"
  mkdir -p "$(dirname "$work/tree/$1")"
  printf '%s\n' "$2" >>"$work/tree/$1"
  if "$check" "$work/tree" 2>"$work/err" >/dev/null; then
    echo "FAIL: '$2' in $1 was not caught" >&2; exit 1
  fi
  grep -q "$3" "$work/err" || { echo "FAIL: message for $1 lacks '$3':" >&2; cat "$work/err" >&2; exit 1; }
  grep -q "$1" "$work/err" || { echo "FAIL: message does not name $1" >&2; exit 1; }
  echo "caught: $2 in $1"
}

plant client/journal/journal.cc '#include "server/service/proto_convert.h"' 'client/ includes server/'
plant client/uplink/uplink.h '  #  include <server/core/policy.h>' 'client/ includes server/'
plant server/core/policy.cc '#include "client/journal/journal.h"' 'server/ includes client/'
plant protocol/chain.cc '#include "biometrics/face_types.h"' 'protocol/ or common/'
plant server/core/domain.cc '#include <dlib/matrix.h>' 'dlib outside biometrics/'
plant client/analysis/proctor_monitor.cc '#include <opencv2/core.hpp>' 'OpenCV outside'
plant client/session/proctor_session.cc '#include "../server/core/policy.h"' 'client/ includes server/'
plant biometrics/face_matcher.cc '#include "client/journal/journal.h"' 'biometrics/ includes an end'
echo "PASS"
