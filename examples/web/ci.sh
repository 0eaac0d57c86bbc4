#!/usr/bin/env bash
# The example web client's CI, from a clean clone, against a running Reelpay server with the
# demo data loaded (`reelpay seed-demo`; each run needs a fresh seed: it buys chef.leo's Series):
#
#   examples/web/ci.sh http://127.0.0.1:8765
#
# Installs Debian's chromium if missing, the npm packages from package-lock.json, generates the
# operation types from ../../schema.graphql (codegen.ts), type-checks with `tsc --strict`,
# builds with vite, serves the build with `vite preview` on another port (so the API is
# cross-origin), and runs tests/browser.mjs. Screenshots: examples/web/artifacts/.
set -euo pipefail
server="${1:?usage: examples/web/ci.sh <server-url>}"
server="${server%/}"
server="${server%/graphql}"
cd "$(dirname "$0")"
preview_port="${PREVIEW_PORT:-4173}"

if [ ! -x /usr/bin/chromium ]; then
  sudo_=""
  [ "$(id -u)" = 0 ] || sudo_="sudo"
  $sudo_ apt-get install -y -qq chromium || { $sudo_ apt-get update -qq && $sudo_ apt-get install -y -qq chromium; }
fi

npm ci --no-audit --no-fund --loglevel=error
npm run --silent codegen
npm run --silent typecheck
VITE_REELPAY_URL="$server/graphql" npx vite build --logLevel warn

rm -rf artifacts
mkdir -p artifacts
node_modules/.bin/vite preview --port "$preview_port" >artifacts/preview.log 2>&1 &
preview=$!
trap 'kill "$preview" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$preview_port/" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$preview_port/" >/dev/null

node tests/browser.mjs "$server" "http://127.0.0.1:$preview_port/" artifacts
