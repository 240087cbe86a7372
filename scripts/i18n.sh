#!/usr/bin/env bash
# The translation catalogs (po/), with GNU gettext's own tools.
#   scripts/i18n.sh update   extract every marked string (Tr, Trf, TrN, TrNf, N_) from the sources
#                            into po/proctor.pot and merge it into po/ru.po for the translator
#   scripts/i18n.sh check    exit 1 when a string a person reads has no Russian translation: a
#                            message missing from ru.po, untranslated or fuzzy, a translation whose
#                            $0..$9 placeholders differ from its message id, or a catalog msgfmt
#                            refuses (a ctest runs this)
# A translator edits po/ru.po only (Poedit, Lokalize, Weblate or a text editor); the build compiles it.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

sources() {
  # Everything shipped: no tests, test helpers, fuzzers or benchmarks.
  find common protocol biometrics client server models/converter -name '*.cc' -o -name '*.h' |
    grep -vE '_test\.cc$|/testing/|_bench\.cc$' | LC_ALL=C sort
}

extract() {  # extract OUT.pot
  sources | xgettext --files-from=- --output="$1" --from-code=UTF-8 --language=C++ \
    --keyword= --keyword=Tr --keyword=Trf --keyword=TrN:1,2 --keyword=TrNf:1,2 --keyword=N_ \
    --flag=Tr:1:no-c-format --flag=Trf:1:no-c-format --flag=N_:1:no-c-format \
    --flag=TrN:1:no-c-format --flag=TrN:2:no-c-format \
    --flag=TrNf:1:no-c-format --flag=TrNf:2:no-c-format \
    --add-comments=TRANSLATORS: --sort-by-file --package-name=proctor \
    --msgid-bugs-address='https://github.com/proctor/proctor/issues' --no-wrap
}

placeholders() { grep -oE '\$[0-9]' | LC_ALL=C sort -u | tr -d '\n'; }

case "${1:-}" in
  update)
    extract po/proctor.pot
    if [[ -f po/ru.po ]]; then
      msgmerge --quiet --update --backup=none --no-wrap po/ru.po po/proctor.pot
    else
      msginit --no-translator --locale=ru_RU.UTF-8 --input=po/proctor.pot --output-file=po/ru.po
    fi
    printf 'po/proctor.pot: %s messages\n' "$(grep -c '^msgid ' po/proctor.pot)"
    msgfmt --statistics --check -o /dev/null po/ru.po
    ;;
  check)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    extract "$tmp/fresh.pot"
    failed=0
    total=$(($(grep -c '^msgid ' "$tmp/fresh.pot") - 1))
    if ! msgcmp po/ru.po "$tmp/fresh.pot" 2>"$tmp/msgcmp"; then
      echo "i18n: messages in the sources that po/ru.po lacks (run scripts/i18n.sh update, then translate):"
      grep -vE 'warning: ' "$tmp/msgcmp" | sed 's/^/  /' | head -40
      failed=1
    fi
    for attr in --untranslated --only-fuzzy; do
      msgattrib "$attr" --no-obsolete --no-wrap po/ru.po | grep -E '^msgid ' | grep -v '^msgid ""$' \
        > "$tmp/attr" || true
      if [[ -s "$tmp/attr" ]]; then
        echo "i18n: po/ru.po has ${attr#--} messages:"
        sed 's/^/  /' "$tmp/attr" | head -40
        failed=1
      fi
    done
    # Each translation uses exactly its message id's placeholders (absl::Substitute fails on others).
    export -f placeholders
    if ! msgexec --input=po/ru.po bash -c '
        [[ -z "$MSGEXEC_MSGID" ]] && exit 0
        # A plural form stands for many counts (Russian form 0 also for 21, 31, ...): it takes the
        # placeholders of the singular and the plural message id together.
        want=$( { printf "%s" "$MSGEXEC_MSGID"; printf "%s" "${MSGEXEC_MSGID_PLURAL:-}"; } | placeholders)
        got=$(placeholders)
        if [[ "$want" != "$got" ]]; then
          printf "i18n: %s: the translation has placeholders [%s], its message id [%s]: %s\n" \
            "$MSGEXEC_LOCATION" "$got" "$want" "$MSGEXEC_MSGID" >&2
          exit 1
        fi' ; then
      failed=1
    fi
    if ! msgfmt --check -o /dev/null po/ru.po; then failed=1; fi
    if (( failed )); then exit 1; fi
    echo "i18n: all $total messages translated into Russian, placeholders agree"
    ;;
  *)
    echo "usage: scripts/i18n.sh update|check" >&2
    exit 2
    ;;
esac
