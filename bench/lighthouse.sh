#!/usr/bin/env bash
# Lighthouse (12.2.3, from npm, with Debian's Chromium) against the dashboard, the clients page and
# a mailing's page of a seeded, logged-in session (its cookies set in the browser by
# bench/lighthouse.mjs); prints each category's score and the audits below 0.9. Goal: at least
# 90 in performance, accessibility and best practices.
#
#   bash bench/lighthouse.sh            (PORT=8099 by default; LIGHTHOUSE_PRESET=desktop for desktop)
#
# The server runs as in production (DEBUG off, gunicorn, collected static files) on a throw-away
# SQLite database, unless DATABASE_URL names one. Lighthouse is installed once into
# bench/.lighthouse/ (git-ignored). Needs node/npm and /usr/bin/chromium.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
port="${PORT:-8099}"
preset="${LIGHTHOUSE_PRESET:-mobile}"
tools="$here/bench/.lighthouse"
python="$here/.venv/bin/python"
work="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x /usr/bin/chromium ]; then
    echo "/usr/bin/chromium not found: Lighthouse needs it (apt-get install chromium)" >&2
    exit 1
fi
command -v npm >/dev/null || { echo "npm not found: Lighthouse is installed from npm (apt-get install npm)" >&2; exit 1; }
if [ ! -x "$tools/node_modules/.bin/lighthouse" ]; then
    echo "installing lighthouse@12.2.3 into $tools"
    npm install --silent --no-audit --no-fund --prefix "$tools" -E lighthouse@12.2.3 >/dev/null
fi
"$tools/node_modules/.bin/lighthouse" --version

export DEBUG=0 SECRET_KEY="lighthouse-bench-secret-key-0123456789-not-for-production"
export SQLITE_PATH="${SQLITE_PATH:-$work/db.sqlite3}" SITE_URL="http://127.0.0.1:$port"
"$python" "$here/manage.py" collectstatic --noinput --verbosity 0
mapfile -t setup < <("$python" "$here/bench/lighthouse_setup.py")
cookie="${setup[0]}" mailing_path="${setup[1]}"

(cd "$here" && exec "$python" -m gunicorn core.wsgi:application --bind "127.0.0.1:$port" --workers 2 \
    --worker-class gthread --threads 4 --no-control-socket --log-level warning) &
server=$!
for _ in $(seq 1 50); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/accounts/login/" && break
    sleep 0.2
done

cp "$here/bench/lighthouse.mjs" "$tools/run.mjs"
echo
CHROME_PATH=/usr/bin/chromium node "$tools/run.mjs" "http://127.0.0.1:$port" "$cookie" "$preset" /app/ /app/clients/ "$mailing_path"
