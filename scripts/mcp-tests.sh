#!/usr/bin/env bash
# The MCP server against the official Python SDK (`mcp` on PyPI), both client lines:
#   .build/venv-mcp1  mcp>=1.23,<2 + pytest: every test in Tests/MCPClient
#   .build/venv-mcp2  mcp>=2,<3    + pytest: the tests for the 2.x client only
# Called by `make test` from the repository root, after the Swift tests, with TACK_BINARY set
# (default: the debug binary of `swift build`). The venvs are made once and reused while
# their stamp (requirements and interpreter) still matches, so a re-run does not touch pip.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ -z "${TACK_BINARY:-}" ]; then
  TACK_BINARY="$(swift build --show-bin-path)/tack"
fi
case "$TACK_BINARY" in /*) ;; *) TACK_BINARY="$PWD/$TACK_BINARY" ;; esac
export TACK_BINARY
if [ ! -x "$TACK_BINARY" ]; then
  echo "mcp-tests: no tack binary at $TACK_BINARY (build first, or set TACK_BINARY)" >&2
  exit 1
fi

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "mcp-tests: $PYTHON not found; install python3 (Debian: apt-get install python3 python3-venv)" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "mcp-tests: '$PYTHON -m venv' is not available; install python3-venv (Debian: apt-get install python3-venv)" >&2
  exit 1
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PYTHONDONTWRITEBYTECODE=1

# venv DIR REQUIREMENT...: makes DIR (again) unless its stamp says it has these requirements
# installed with this interpreter.
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
  echo "mcp-tests: preparing $dir ($*)" >&2
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  if ! "$PYTHON" -m venv "$dir" >"$dir.log" 2>&1; then
    cat "$dir.log" >&2
    echo "mcp-tests: '$PYTHON -m venv' failed; install python3-venv (Debian: apt-get install python3-venv)" >&2
    rm -rf "$dir"
    exit 1
  fi
  if ! "$dir/bin/python" -m pip install -q --progress-bar off "$@" >"$dir.log" 2>&1; then
    cat "$dir.log" >&2
    echo "mcp-tests: pip install $* failed" >&2
    rm -rf "$dir"
    exit 1
  fi
  rm -f "$dir.log"
  echo "$want" >"$stamp"
}

V1=.build/venv-mcp1
V2=.build/venv-mcp2
venv "$V1" 'mcp>=1.23,<2' 'pytest>=8'
venv "$V2" 'mcp>=2,<3' 'pytest>=8'

version() { "$1/bin/python" -c 'from importlib.metadata import version; print(version("mcp"))'; }
echo "mcp-tests: $TACK_BINARY; mcp $(version "$V1") and mcp $(version "$V2")" >&2

PYTEST_FLAGS=(-q -p no:cacheprovider)
status=0
echo "mcp-tests: mcp $(version "$V1"): Tests/MCPClient" >&2
"$V1/bin/python" -m pytest "${PYTEST_FLAGS[@]}" Tests/MCPClient || status=$?
echo "mcp-tests: mcp $(version "$V2"): the 2.x client tests" >&2
"$V2/bin/python" -m pytest "${PYTEST_FLAGS[@]}" Tests/MCPClient/test_mcp2_client.py || status=$?
exit "$status"
