#!/usr/bin/env bash
# Re-fetch the vendored front-end files from the npm registry, byte for byte as published.
# Usage (from anywhere):  web/web/static/vendor/refresh.sh
# To move to a new version, change it below, run this, then update the table in README.md
# with the sha256 sums it prints, and read the package's changelog and licence.
# Needs npm (only to fetch tarballs: nothing is built). Nothing here runs in CI.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../../.." && pwd)"
STATIC="$ROOT/web/web/static/vendor"
TESTS="$ROOT/tests/browser/vendor"

HTMX=htmx.org@2.0.11
JSQR=jsqr@1.4.0
LEAFLET=leaflet@1.9.4
AXE=axe-core@4.14.1

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
unpack() {  # unpack name@version → $TMP/<name>/package
  local dir="$TMP/${1%@*}"
  mkdir -p "$dir"
  (cd "$dir" && npm pack "$1" --silent >/dev/null && tar xzf ./*.tgz)
  echo "$dir/package"
}

p=$(unpack "$HTMX")
rm -rf "$STATIC/htmx" && mkdir -p "$STATIC/htmx"
cp "$p/dist/htmx.min.js" "$p/LICENSE" "$STATIC/htmx/"

p=$(unpack "$JSQR")
rm -rf "$STATIC/jsqr" && mkdir -p "$STATIC/jsqr"
cp "$p/dist/jsQR.js" "$p/LICENSE" "$STATIC/jsqr/"

p=$(unpack "$LEAFLET")
rm -rf "$STATIC/leaflet" && mkdir -p "$STATIC/leaflet/images"
cp "$p/dist/leaflet.js" "$p/dist/leaflet.css" "$p/LICENSE" "$STATIC/leaflet/"
cp "$p"/dist/images/*.png "$STATIC/leaflet/images/"

p=$(unpack "$AXE")
rm -rf "$TESTS/axe-core" && mkdir -p "$TESTS/axe-core"
cp "$p/axe.min.js" "$p/LICENSE" "$p/LICENSE-3RD-PARTY.txt" "$TESTS/axe-core/"

cd "$ROOT"
sha256sum web/web/static/vendor/*/*.js web/web/static/vendor/*/*.css \
  web/web/static/vendor/leaflet/images/*.png tests/browser/vendor/axe-core/axe.min.js
