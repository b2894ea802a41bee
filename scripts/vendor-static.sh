#!/usr/bin/env bash
# Refresh the third-party browser assets kept under core/static/vendor/ from the npm registry,
# so that pages (Bootstrap), the web app (Alpine.js in its CSP build, Chart.js) and GraphiQL work
# without reaching a CDN.
#
#   bash scripts/vendor-static.sh
#
# The versions of Bootstrap and GraphiQL are those that django-bootstrap5 and strawberry's GraphiQL
# page name; Alpine.js and Chart.js are pinned here. The
# sourceMappingURL comments are removed: the maps are not shipped, and the manifest static
# storage (collectstatic) refuses a reference to a missing file.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
out="$here/core/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

packages=(bootstrap@5.3.8 react@18.2.0 react-dom@18.2.0 js-cookie@3.0.5 graphiql@3.8.3 @graphiql/plugin-explorer@1.0.2
    @alpinejs/csp@3.17.4 chart.js@4.6.1)
(cd "$work" && npm pack --silent "${packages[@]}" >/dev/null)
for tarball in "$work"/*.tgz; do
    mkdir -p "${tarball%.tgz}"
    tar xzf "$tarball" -C "${tarball%.tgz}"
done

copy() {  # copy SOURCE-IN-PACKAGE-DIR DESTINATION
    mkdir -p "$(dirname "$out/$2")"
    sed '/sourceMappingURL=/d' "$work/$1" >"$out/$2"
}
copy bootstrap-5.3.8/package/dist/css/bootstrap.min.css bootstrap/bootstrap.min.css
copy bootstrap-5.3.8/package/LICENSE bootstrap/LICENSE
copy react-18.2.0/package/umd/react.production.min.js graphiql/react.production.min.js
copy react-18.2.0/package/LICENSE graphiql/LICENSE.react
copy react-dom-18.2.0/package/umd/react-dom.production.min.js graphiql/react-dom.production.min.js
copy js-cookie-3.0.5/package/dist/js.cookie.min.js graphiql/js.cookie.min.js
copy js-cookie-3.0.5/package/LICENSE graphiql/LICENSE.js-cookie
copy graphiql-3.8.3/package/graphiql.min.js graphiql/graphiql.min.js
copy graphiql-3.8.3/package/graphiql.min.css graphiql/graphiql.min.css
copy graphiql-3.8.3/package/LICENSE graphiql/LICENSE.graphiql
copy graphiql-plugin-explorer-1.0.2/package/dist/index.umd.js graphiql/plugin-explorer.umd.js
copy graphiql-plugin-explorer-1.0.2/package/dist/style.css graphiql/plugin-explorer.css
copy alpinejs-csp-3.17.4/package/dist/module.esm.min.js alpinejs/module.esm.min.js
# The CSP build reads every global once (to refuse them in expressions) and skips the deprecated
# ones it knows; Chromium has since deprecated the FencedFrame globals (fence, Fence,
# FencedFrameConfig, HTMLFencedFrameElement), and reading one logs a deprecation (Lighthouse's
# best-practices score falls to 82). Skip those as well.
skip='e==="styleMedia"||e==="sharedStorage"'
grep -q "$skip" "$out/alpinejs/module.esm.min.js"
sed -i "s/$skip/$skip||\/fence\/i.test(e)/" "$out/alpinejs/module.esm.min.js"
# The package ships no licence file; its package.json names the licence (MIT).
copy alpinejs-csp-3.17.4/package/package.json alpinejs/package.json
copy chart.js-4.6.1/package/dist/chart.umd.min.js chartjs/chart.umd.min.js
copy chart.js-4.6.1/package/LICENSE.md chartjs/LICENSE.md

cd "$out" && sha256sum alpinejs/* bootstrap/* chartjs/* graphiql/* >SHA256SUMS
echo "vendored into $out:"
cat "$out/SHA256SUMS"
