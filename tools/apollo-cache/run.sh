#!/usr/bin/env bash
# Apollo cache check on its own: a scratch SQLite database with the demo data, a server on
# $PORT (default 8771) from this checkout (or PYTHONPATH's), then check.mjs against it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
port="${PORT:-8771}"
workdir=$(mktemp -d)
export REELPAY_DATABASE_URL="sqlite+aiosqlite:///$workdir/apollo.db"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
"$root/.venv/bin/reelpay" migrate >/dev/null
"$root/.venv/bin/reelpay" seed-demo >/dev/null
"$root/.venv/bin/reelpay" serve --port "$port" >"$workdir/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$workdir"' EXIT
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
node "$here/check.mjs" "http://127.0.0.1:$port/graphql"
