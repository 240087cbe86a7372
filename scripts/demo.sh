#!/usr/bin/env bash
# Quick start, command 1: set everything up, then run the main job.
# Until the server lands, the main job is proctor-face finding and comparing faces on real
# photos: the group photos shipped in the face-api npm package, and the labelled photos in
# ../shared/testdata/faces when they are present.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"

face="$repo/build/release/client/cli/proctor-face"
demo="$repo/.cache/face-api-1.7.15/package/demo"
labelled="${PROCTOR_TESTDATA:-$repo/../shared/testdata}/faces"

printf '\n==> Main job: faces in the face-api demo photos\n'
"$face" embed --upsample 0 "$demo"/sample{1,2,3,4,5,6}.jpg

if [[ -d "$labelled" ]]; then
  printf '\n==> Main job: comparing labelled photos (%s)\n' "$labelled"
  for pair in "obama/obama1.jpg obama/obama2.jpg" "obama/obama1.jpg biden/biden1.jpg" \
              "kit_harington/kit1.jpg kit_harington/kit2.jpg" "kit_harington/kit1.jpg rose_leslie/rose1.jpg"; do
    set -- $pair
    echo "-- $1 vs $2"
    "$face" compare "$labelled/$1" "$labelled/$2"
  done
else
  # Without labelled photos there is no second photo of one person: compare a face with itself
  # and with a group photo of other people.
  printf '\n==> Main job: comparing a demo face with itself and with a photo of other people\n'
  "$face" compare --upsample 0 "$demo/sample2.jpg" "$demo/sample2.jpg"
  "$face" compare --upsample 0 "$demo/sample2.jpg" "$demo/sample4.jpg"
fi
