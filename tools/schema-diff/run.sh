#!/usr/bin/env bash
# Fails when a breaking change of schema.graphql since the base commit in diff.mjs (each commit
# against its parent on main's first-parent line, and the working tree against HEAD) is not listed
# in CHANGELOG.md as "- BREAKING `Type.field`". Needs full git history. Usage: run.sh [repo root]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
npm ci --silent --no-audit --no-fund
exec node diff.mjs "${1:-$here/../..}"
