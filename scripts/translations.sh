#!/usr/bin/env bash
# Extract the interface strings, merge them into the Dutch catalogue, compile it.
#   scripts/translations.sh          extract + update + compile
#   scripts/translations.sh compile  compile only
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
DIR=app/translations
if [[ ${1:-} != compile ]]; then
  $BIN/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-wrap --omit-header --no-location --sort-output -o "$DIR/messages.pot" app
  if [[ -f $DIR/nl/LC_MESSAGES/messages.po ]]; then
    $BIN/pybabel update --no-wrap --ignore-obsolete --no-fuzzy-matching -i "$DIR/messages.pot" -d "$DIR" -l nl
  else
    $BIN/pybabel init --no-wrap -i "$DIR/messages.pot" -d "$DIR" -l nl
  fi
fi
$BIN/pybabel compile -d "$DIR" -l nl
