#!/usr/bin/env bash
# The layering the build relies on, checked on the sources (CI runs it; a planted include fails it).
#   common/ <- protocol/ <- biometrics/ <- client/ | server/   (includes relative to the root, or
#   climbing with ../, are both caught)
# - client/ never includes server/, and server/ never includes client/ (what both ends share is
#   protocol/); protocol/ and common/ include neither end nor the face library.
# - dlib only in biometrics/ and the model converter; OpenCV only in biometrics/, the client's
#   capture adapters (client/capture/camera_source.cc, video_file_source.cc, opencv_frame.*),
#   its preview window (client/cli/live_display.cc), the sample-video tool (client/tools/) and
#   eval's degradations and plots (client/eval/degradation.cc, eval_plot.cc).
# Usage: scripts/check-boundaries.sh [ROOT]  — exit 0 when clean, 1 listing every violation.
set -euo pipefail
root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$root"

violations=0
# forbid DIRS REGEX WHY [ALLOWED_FILE_REGEX]
forbid() {
  local dirs=$1 pattern=$2 why=$3 allowed=${4:-^$}
  local hits
  # shellcheck disable=SC2086
  hits=$(grep -rnE --include='*.h' --include='*.cc' "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"](\.\./)*($pattern)" $dirs 2>/dev/null |
         grep -vE "$allowed" || true)
  if [[ -n "$hits" ]]; then
    printf '%s:\n%s\n\n' "$why" "$hits" >&2
    violations=$((violations + $(wc -l <<<"$hits")))
  fi
}

forbid "client" 'server/' "client/ includes server/ (share it through protocol/)"
forbid "server" 'client/' "server/ includes client/ (share it through protocol/)"
forbid "protocol common" 'server/|client/|biometrics/' "protocol/ or common/ includes an end or the face library"
forbid "biometrics" 'server/|client/' "biometrics/ includes an end (the face library serves both)"
forbid "common protocol client server" 'dlib/' "dlib outside biometrics/"
forbid "common protocol client server" 'opencv2/' "OpenCV outside biometrics/ and the client's adapters" \
  '^client/capture/(camera_source|video_file_source|opencv_frame|frame_source_test)\.|^client/cli/live_display(_test)?\.cc:|^client/tools/|^client/eval/(degradation|eval_plot)\.cc:'

if (( violations > 0 )); then
  echo "check-boundaries: $violations include(s) cross a module boundary" >&2
  exit 1
fi
echo "check-boundaries: clean"
