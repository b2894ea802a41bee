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
# Changes to the CSP build, each made exactly once (the script fails if the text it
# replaces is not there):
# - It reads every global once, to refuse them in expressions, and skips the deprecated ones it
#   knows; Chromium has since deprecated the FencedFrame globals (fence, Fence, FencedFrameConfig,
#   HTMLFencedFrameElement), and reading one logs a deprecation (Lighthouse's best-practices
#   score falls to 82). Skip those as well.
# - That reading instantiates every interface object of the window (some 1,000) and was most of
#   the module's evaluation, in the page's first long task. The names are now read 200 at a time,
#   a task each (setTimeout), and whatever is left is read at once by the first check of a value
#   that comes before the end: the same globals, read later, and no value is ever checked against
#   a set not yet complete. Alpine.start() starts once they are all read (its first walk checks
#   a value at once, and would read them all in its own task): a few tasks after it is called.
# - It tokenizes and parses an expression again on every evaluation (each x-text of each row, on
#   every change). The parsed form depends on the text alone, and the evaluator keeps no state
#   and never changes a parsed tree, so it is kept by the expression's text.
python3 - "$out/alpinejs/module.esm.min.js" <<'PATCH'
import sys

path = sys.argv[1]
text = open(path, encoding="utf-8").read()
for old, new in [
    ('e==="styleMedia"||e==="sharedStorage"', 'e==="styleMedia"||e==="sharedStorage"||/fence/i.test(e)'),
    ("Ui=new Set;Object.getOwnPropertyNames(globalThis).forEach(e=>{", "Ui=new Set;function readGlobal(e){"),
    (
        "try{t=globalThis[e]}catch{return}Ui.add(t)});",
        "try{t=globalThis[e]}catch{return}Ui.add(t)}var globalsLeft;"
        "function readGlobals(n){for(globalsLeft??=Object.getOwnPropertyNames(globalThis);globalsLeft.length&&n-- >0;)readGlobal(globalsLeft.pop())}"
        "function readAllGlobals(){readGlobals(1/0)}var afterGlobals=[];"
        "function readSomeGlobals(){readGlobals(200),globalsLeft.length?setTimeout(readSomeGlobals):afterGlobals.splice(0).forEach(f=>f())}"
        "function whenGlobalsRead(f){globalsLeft&&!globalsLeft.length?f():afterGlobals.push(f)}setTimeout(readSomeGlobals);",
    ),
    (",store:Ti,start:pi,clone:si,", ",store:Ti,start:()=>whenGlobalsRead(pi),clone:si,"),
    ("if(Ui.has(t))", "if(readAllGlobals(),Ui.has(t))"),
    ("function Jt(e){try{", "var parsedExpressions=new Map;function Jt(e){let f=parsedExpressions.get(e);"
        "return f||(f=compileExpression(e),parsedExpressions.set(e,f)),f}function compileExpression(e){try{"),
]:
    if text.count(old) != 1:
        sys.exit(f"{path}: expected {old!r} once, found it {text.count(old)} times")
    text = text.replace(old, new)
open(path, "w", encoding="utf-8").write(text)
PATCH
node --input-type=module --check <"$out/alpinejs/module.esm.min.js"
# The package ships no licence file; its package.json names the licence (MIT).
copy alpinejs-csp-3.17.4/package/package.json alpinejs/package.json
copy chart.js-4.6.1/package/dist/chart.umd.min.js chartjs/chart.umd.min.js
copy chart.js-4.6.1/package/LICENSE.md chartjs/LICENSE.md

cd "$out" && sha256sum alpinejs/* bootstrap/* chartjs/* graphiql/* >SHA256SUMS
echo "vendored into $out:"
cat "$out/SHA256SUMS"
