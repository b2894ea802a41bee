#!/usr/bin/env bash
# Refresh the browser-side tools the tests inject into pages (never served by the app), from the
# npm registry at pinned versions:
#
#   bash scripts/vendor-test-tools.sh
#
# axe-core: the accessibility checker behind core/tests/browser.py's assert_accessible().
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/core/tests/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent axe-core@4.14.1 >/dev/null && tar xzf axe-core-4.14.1.tgz)
mkdir -p "$out"
cp "$work/package/axe.min.js" "$out/axe.min.js"
cp "$work/package/LICENSE" "$out/LICENSE.axe-core"
cd "$out" && sha256sum axe.min.js LICENSE.axe-core >SHA256SUMS
echo "vendored into $out:"
cat "$out/SHA256SUMS"
