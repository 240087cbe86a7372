#!/usr/bin/env bash
# The learner's installer under Wine, as a learner without administrator rights runs it:
#   tests/windows/installer_test.sh DIST_DIR
# DIST_DIR is build/windows/dist (scripts/build-windows.sh makes it). In a new Wine prefix of its
# own: a silent install (/S) into the default folder, then what must be there (the client, its
# DLL, the models, the Russian catalog, the uninstaller, the Start-menu entries, the proctor://
# link handler and the "Apps & features" entry in HKCU), the installed client runs, then a silent
# uninstall removes all of it and keeps the learner's journal folder (%LOCALAPPDATA%\proctor:
# events not yet delivered are sent the next time the client runs). Also the portable zip: the
# same files as the installer puts there. Exit 0 when all holds; each failure is named.
set -uo pipefail
dist=${1:?usage: installer_test.sh DIST_DIR (build/windows/dist; scripts/build-windows.sh makes it)}
installer=$(ls "$dist"/proctor-client-setup-*.exe 2>/dev/null | head -n1)
zip=$(ls "$dist"/proctor-client-*-windows-x64.zip 2>/dev/null | head -n1)
if [[ -z $installer || -z $zip ]]; then
  echo "installer_test: no installer or zip in $dist: run scripts/build-windows.sh first" >&2
  exit 1
fi
command -v wine >/dev/null || { echo "installer_test: wine is not installed" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/proctor-installer.XXXXXX")
export WINEPREFIX="$work/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
cleanup() { wineserver -k 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

failures=0
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@" > /dev/null 2>&1; then
    echo "ok   $what"
  else
    echo "FAIL $what" >&2
    failures=$((failures + 1))
  fi
}
# A registry value as Wine's reg.exe prints it (empty when absent).
reg_value() { wine reg query "$1" /v "$2" 2>/dev/null | tr -d '\r' | awk -v n="$2" '$1 == n { $1 = ""; $2 = ""; sub(/^  */, ""); print }'; }
reg_default() { wine reg query "$1" /ve 2>/dev/null | tr -d '\r' | awk 'NR > 1 && NF >= 3 { $1 = ""; $2 = ""; sub(/^  */, ""); print; exit }'; }

echo "installer: $(basename "$installer") ($(stat -c %s "$installer") bytes)"
wineboot -i > /dev/null 2>&1
wineserver -w
# Wine names the Windows user after the Unix one.
appdata="$WINEPREFIX/drive_c/users/$(id -un)/AppData"
[[ -d $appdata ]] || { echo "installer_test: no $appdata in the new Wine prefix" >&2; exit 1; }
home=${appdata%/AppData}
inst="$appdata/Local/Programs/proctor"
menu="$appdata/Roaming/Microsoft/Windows/Start Menu/Programs/Proctor"

t0=$(date +%s)
wine "$installer" /S
wineserver -w
echo "installed in $(( $(date +%s) - t0 )) s into ${inst#"$WINEPREFIX"/}"

check "the client is installed" test -s "$inst/proctor-client.exe"
check "zlib1.dll is beside it" test -s "$inst/zlib1.dll"
check "the face models are installed" test -s "$inst/models/dlib_face_recognition_resnet_model_v1.dat"
check "the landmark model is installed" test -s "$inst/models/shape_predictor_68_face_landmarks.dat"
check "the models' manifest is installed" test -s "$inst/models/manifest.tsv"
check "the Russian catalog is installed" test -n "$(find "$inst/locale" -name '*.mo' -size +1k)"
check "the uninstaller is written" test -s "$inst/uninstall.exe"
check "the README is installed" test -s "$inst/README-windows.txt"
check "three Start-menu entries" test "$(find "$menu" -name '*.lnk' 2>/dev/null | wc -l)" -eq 3
check "proctor:// opens the client" grep -q 'proctor-client.exe" open "%1"' \
  <(reg_default 'HKCU\Software\Classes\proctor\shell\open\command')
check "\"Apps & features\" lists it" grep -qx 'Proctor' \
  <(reg_value 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\proctor' DisplayName)
check "the install folder is remembered" grep -q 'Programs\\proctor' \
  <(reg_value 'HKCU\Software\proctor' InstallDir)

# The installed client runs and finds its models and catalog where the installer put them.
help_en=$(cd "$home" && LANG=en_US.UTF-8 wine "$inst/proctor-client.exe" --help 2>&1 | tr -d '\r')
check "the installed client runs (--help)" grep -q 'run' <<< "$help_en"
help_ru=$(cd "$home" && LANG=ru_RU.UTF-8 LC_ALL=ru_RU.UTF-8 wine "$inst/proctor-client.exe" --help 2>&1 | tr -d '\r')
check "the installed client speaks Russian" grep -q 'прокторинг онлайн-экзамена' <<< "$help_ru"

# The same files in the portable zip as in the installed folder (less the uninstaller).
unzip -q "$zip" -d "$work/zip"
zip_files=$(cd "$work"/zip/proctor-client-* && find . -type f | sort)
inst_files=$(cd "$inst" && find . -type f ! -name uninstall.exe | sort)
check "the zip holds what the installer installs" test "$zip_files" == "$inst_files"

# The learner's journal folder: the uninstaller must leave it.
mkdir -p "$appdata/Local/proctor/journal"
echo "undelivered" > "$appdata/Local/proctor/journal/events.log"

t0=$(date +%s)
wine "$inst/uninstall.exe" /S
wineserver -w
# The uninstaller copies itself to %TEMP% and runs from there; wait for that copy too.
for _ in $(seq 1 30); do [[ -e $inst ]] || break; sleep 1; wineserver -w; done
echo "uninstalled in $(( $(date +%s) - t0 )) s"

check "the install folder is removed" test ! -e "$inst"
check "the Start-menu entries are removed" test ! -e "$menu"
check "the proctor:// handler is removed" test -z "$(reg_default 'HKCU\Software\Classes\proctor\shell\open\command')"
check "\"Apps & features\" no longer lists it" test -z \
  "$(reg_value 'HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\proctor' DisplayName)"
check "the install-folder key is removed" test -z "$(reg_value 'HKCU\Software\proctor' InstallDir)"
check "the learner's journal is kept" grep -qx undelivered "$appdata/Local/proctor/journal/events.log"

if [[ $failures -gt 0 ]]; then
  echo "installer_test: $failures check(s) failed" >&2
  exit 1
fi
echo "installer_test: all checks passed"
