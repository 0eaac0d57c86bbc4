#!/usr/bin/env bash
# schemathesis against a live Reelpay server: once anonymous, once logged in as a demo user
# (mutations included; logOut left out so the session lasts the run). Fails on any server error
# (5xx, INTERNAL_SERVER_ERROR or SERVICE_UNAVAILABLE, an error without a message or
# extensions.code) or any database, driver or interpreter text in an error (tools/fuzz/hooks.py,
# verdict.py). schemathesis's own not_a_server_error is not used: it counts every error with a
# `path` as a server error, our documented UNAUTHENTICATED and FORBIDDEN answers included.
#
# Usage: tools/fuzz/run.sh http://127.0.0.1:8775/graphql
# The server needs seeded demo data (reelpay seed-demo) and loose throttles, e.g.
#   REELPAY_REQUESTS_PER_ADDRESS=100000 REELPAY_REQUESTS_IN_FLIGHT_PER_ADDRESS=64
#   REELPAY_LOGIN_ATTEMPTS_PER_ADDRESS=100000 REELPAY_LOGIN_FAILURES_PER_ACCOUNT=100000
#   REELPAY_SIGNUPS_PER_ADDRESS=100000 REELPAY_VIEWS_PER_ADDRESS=100000
# FUZZ_SECONDS (default 55) bounds each of the two runs; FUZZ_SEED (default 14) fixes the data.
set -euo pipefail
url="${1:?usage: tools/fuzz/run.sh http://host:port/graphql}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
bin="$root/.venv/bin"
seconds="${FUZZ_SECONDS:-55}"
seed="${FUZZ_SEED:-14}"
reports="${FUZZ_REPORTS:-$(mktemp -d)}"
export SCHEMATHESIS_HOOKS=tools.fuzz.hooks
export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}"

fuzz() {  # $1: name of the run; the rest: extra schemathesis options
  local name="$1"
  shift
  echo "== schemathesis, $name (at most ${seconds}s)"
  "$bin/schemathesis" run "$url" \
    --checks no_server_error,no_database_leak \
    --phases fuzzing \
    --max-time "$seconds" --seed "$seed" --workers 2 \
    --suppress-health-check all --no-color \
    --report junit --report-junit-path "$reports/$name.xml" \
    "$@"
}

status=0
fuzz anonymous || status=1
token="$("$bin/python" -m tools.fuzz.login "$url")"
fuzz logged-in -H "Authorization: Bearer $token" --exclude-name Mutation.logOut || status=1
exit "$status"
