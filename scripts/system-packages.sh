#!/usr/bin/env bash
# Install Debian packages the project needs when they are missing, if this user can.
# Never fails the build: a missing package is reported, and the tests that need it say so.
# "a|b" names one package by its names on different Debian releases (Debian 13 renamed some
# libraries with a t64 suffix): either installed is enough; the first one apt knows is installed.
set -u
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
updated=""
known() {
  apt-cache show "$1" >/dev/null 2>&1 && return 0
  if [[ -z $updated && $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    updated=1
    apt-get update -qq >/dev/null 2>&1
    apt-cache show "$1" >/dev/null 2>&1 && return 0
  fi
  return 1
}
missing=()
for spec in "$@"; do
  IFS='|' read -r -a names <<<"$spec"
  found=""
  for name in "${names[@]}"; do installed "$name" && found=1; done
  [[ -n $found ]] && continue
  if ((${#names[@]} > 1)); then
    for name in "${names[@]}"; do
      if known "$name"; then missing+=("$name"); continue 2; fi
    done
  fi
  missing+=("${names[0]}")
done
((${#missing[@]})) || exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "Installing ${missing[*]} (Debian packages)..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 \
    || echo "Could not install ${missing[*]}; install them with: sudo apt-get install ${missing[*]}"
else
  echo "Missing Debian packages ${missing[*]}; install them with: sudo apt-get install ${missing[*]}"
fi
exit 0
