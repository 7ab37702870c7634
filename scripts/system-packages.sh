#!/usr/bin/env bash
# Install Debian packages the project needs when they are missing, if this user can.
# Never fails the build: a missing package is reported, and the tests that need it say so.
set -u
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
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
