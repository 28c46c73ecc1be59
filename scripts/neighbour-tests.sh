#!/usr/bin/env bash
# The "git neighbours" conformance suite (Tests/GitNeighbours): real git commands — gc,
# repack, maintenance, plain commits, stash, worktrees, sparse checkouts, shallow clones —
# around real `tack` processes and `tack mcp` (official MCP SDK), checked out and bare.
# Runs in .build/venv-mcp1 (mcp>=1.23,<2 + pytest), the venv scripts/mcp-tests.sh makes
# (the same requirements, through scripts/python-env.sh).
# Called by `make test` (bounded loops) and `make stress` (TACK_STRESS=1: every concurrent
# scenario 5 times, with bigger loops), from the repository root, with TACK_BINARY set
# (default: the debug binary of `swift build`). Extra arguments go to pytest (e.g. -k racy).
set -euo pipefail
cd "$(dirname "$0")/.."

NAME=neighbour-tests
if ! command -v git >/dev/null 2>&1; then
  echo "$NAME: git not found; install git (Debian: apt-get install git)" >&2
  exit 1
fi
# shellcheck source=scripts/python-env.sh
source scripts/python-env.sh

V1=.build/venv-mcp1
venv "$V1" 'mcp>=1.23,<2' 'pytest>=8'

mode="make test"
if [ -n "${TACK_STRESS:-}" ] && [ "${TACK_STRESS}" != 0 ]; then mode="stress (TACK_STRESS=$TACK_STRESS)"; fi
echo "neighbour-tests: $TACK_BINARY; $(git --version); $mode: Tests/GitNeighbours" >&2
# Each scenario's temporary repositories are removed by pytest (it keeps the last 3 runs).
exec "$V1/bin/python" -m pytest -q -p no:cacheprovider --tb=short --durations=5 Tests/GitNeighbours "$@"
