#!/usr/bin/env bash
# graphql-schema-linter over schema.graphql with the rules in package.json ("graphql-schema-linter"):
# every type, field, argument, enum value and input field described, Relay-shaped connections,
# conventional names. Off on purpose (README.md here): the three *-sorted-alphabetically rules.
# Prints each violation, then a count per rule; exits non-zero on any violation.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
schema="${1:-$here/../../schema.graphql}"
cd "$here"
npm ci --silent --no-audit --no-fund
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
status=0
node_modules/.bin/graphql-schema-linter --config-directory "$here" --format compact "$schema" \
  >"$out" || status=$?
cat "$out"
if [ "$status" -ne 0 ]; then
  echo "== violations per rule"
  sed -nE 's/.*\(([a-z-]+)\)$/\1/p' "$out" | sort | uniq -c | sort -rn
fi
exit "$status"
