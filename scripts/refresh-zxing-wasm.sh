#!/usr/bin/env bash
# Refreshes the browser scanner's QR decoder (zxing-cpp compiled to WebAssembly, the npm package
# zxing-wasm) in app/static/vendor/zxing-wasm/ from the npm registry.
#
# The version and the SHA-256 of its tarball are pinned here: a tarball that does not match is
# refused and nothing is changed. To move to another version, set VERSION and TARBALL_SHA256
# (after checking the release), run this script, and commit the files and SHA256SUMS it writes;
# tests/unit/test_vendored_decoder.py checks the vendored files against SHA256SUMS.
set -euo pipefail

VERSION=3.1.8
TARBALL_SHA256=065e4b2a8130ea520428ca08510ca8ef48acb84d7900a64cfc1cf3909ed3695a
REGISTRY=${NPM_REGISTRY:-https://registry.npmjs.org}

here=$(cd "$(dirname "$0")/.." && pwd)
target="$here/app/static/vendor/zxing-wasm"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

curl --fail --silent --show-error --location \
  -o "$work/zxing-wasm.tgz" "$REGISTRY/zxing-wasm/-/zxing-wasm-$VERSION.tgz"
echo "$TARBALL_SHA256  $work/zxing-wasm.tgz" | sha256sum --check --quiet -
tar -xzf "$work/zxing-wasm.tgz" -C "$work"

# Only the reader: its ES module, the code it shares with the writer, and its WebAssembly.
rm -rf "$target"
mkdir -p "$target/es/reader" "$target/reader"
cp "$work/package/dist/es/reader/index.js" "$target/es/reader/index.js"
cp "$work/package/dist/es/share.js" "$target/es/share.js"
cp "$work/package/dist/reader/zxing_reader.wasm" "$target/reader/zxing_reader.wasm"
cp "$work/package/LICENSE" "$target/LICENSE"
echo "$VERSION" > "$target/VERSION"
(cd "$target" && sha256sum es/reader/index.js es/share.js reader/zxing_reader.wasm LICENSE > SHA256SUMS)
echo "zxing-wasm $VERSION in $target"
