#!/usr/bin/env bash
# The "git neighbours" conformance suite (Tests/GitNeighbours): real git commands — gc,
# repack, maintenance, plain commits, stash, worktrees, sparse checkouts, shallow clones —
# around real `tack` processes and `tack mcp` (official MCP SDK), checked out and bare.
# Runs in .build/venv-mcp1 (mcp>=1.23,<2 + pytest), the venv scripts/mcp-tests.sh makes
# (same requirements and stamp, so neither script rebuilds the other's venv).
# Called by `make test` (bounded loops) and `make stress` (TACK_STRESS=1: every concurrent
# scenario 5 times, with bigger loops), from the repository root, with TACK_BINARY set
# (default: the debug binary of `swift build`). Extra arguments go to pytest (e.g. -k racy).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ -z "${TACK_BINARY:-}" ]; then
  TACK_BINARY="$(swift build --show-bin-path)/tack"
fi
case "$TACK_BINARY" in /*) ;; *) TACK_BINARY="$PWD/$TACK_BINARY" ;; esac
export TACK_BINARY
if [ ! -x "$TACK_BINARY" ]; then
  echo "neighbour-tests: no tack binary at $TACK_BINARY (build first, or set TACK_BINARY)" >&2
  exit 1
fi
if ! command -v git >/dev/null 2>&1; then
  echo "neighbour-tests: git not found; install git (Debian: apt-get install git)" >&2
  exit 1
fi
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "neighbour-tests: $PYTHON not found; install python3 (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "neighbour-tests: '$PYTHON -m venv' is not available; install python3-venv (Debian: apt-get install python3-venv)" >&2
  exit 1
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PYTHONDONTWRITEBYTECODE=1

# venv DIR REQUIREMENT...: as in scripts/mcp-tests.sh (keep the two in step).
venv() {
  local dir="$1"
  shift
  local stamp="$dir/.tack-stamp"
  local want
  want="$("$PYTHON" -c 'import sys; print(sys.version.split()[0], sys.base_prefix)') | $*"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/bin/python" ] \
    && "$dir/bin/python" -c 'import mcp, pytest, anyio' >/dev/null 2>&1; then
    return 0
  fi
  echo "neighbour-tests: preparing $dir ($*)" >&2
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  if ! "$PYTHON" -m venv "$dir" >"$dir.log" 2>&1; then
    cat "$dir.log" >&2
    echo "neighbour-tests: '$PYTHON -m venv' failed; install python3-venv (Debian: apt-get install python3-venv)" >&2
    rm -rf "$dir"
    exit 1
  fi
  if ! "$dir/bin/python" -m pip install -q --progress-bar off "$@" >"$dir.log" 2>&1; then
    cat "$dir.log" >&2
    echo "neighbour-tests: pip install $* failed" >&2
    rm -rf "$dir"
    exit 1
  fi
  rm -f "$dir.log"
  echo "$want" >"$stamp"
}

V1=.build/venv-mcp1
venv "$V1" 'mcp>=1.23,<2' 'pytest>=8'

mode="make test"
if [ -n "${TACK_STRESS:-}" ] && [ "${TACK_STRESS}" != 0 ]; then mode="stress (TACK_STRESS=$TACK_STRESS)"; fi
echo "neighbour-tests: $TACK_BINARY; $(git --version); $mode: Tests/GitNeighbours" >&2
# Each scenario's temporary repositories are removed by pytest (it keeps the last 3 runs).
exec "$V1/bin/python" -m pytest -q -p no:cacheprovider --tb=short --durations=5 Tests/GitNeighbours "$@"
